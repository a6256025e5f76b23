// Imported first by extension.ts, so this runs before any other module of the bundle is evaluated. It also asks for
// the `vscode` module first: the extension host builds the API object for an extension on that first request, which
// is VS Code's cost, not ours. The activation log line reports the two apart.
export const bundleEvaluationStart = performance.now();
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('vscode');
export const vscodeApiReadyAt = performance.now();
