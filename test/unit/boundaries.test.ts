import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';
import * as esbuild from 'esbuild';

test('the lint rule rejects vscode imports in core and shared, and non-shared imports in the webview', async () => {
  const eslint = new ESLint();
  const cases: Array<[string, string, boolean]> = [
    ['src/core/plan/x.ts', "import * as vscode from 'vscode';\nexport const a = vscode;\n", true],
    ['src/shared/x.ts', "import { window } from 'vscode';\nexport const a = window;\n", true],
    ['src/core/x.ts', "import { a } from '../vscode/extension';\nexport const b = a;\n", true],
    ['webview/x.ts', "import { a } from '../src/core/plan/schema';\nexport const b = a;\n", true],
    ['webview/y.ts', "import { a } from '../src/shared/protocol';\nexport const b = a;\n", false],
    ['src/vscode/x.ts', "import * as vscode from 'vscode';\nexport const a = vscode;\n", false],
  ];
  await assertRestricted(eslint, cases);
});

test('the lint rule keeps the directions inside core: shell is a leaf, engines and sim stay out of remote, sim and telemetry out of tune', async () => {
  const eslint = new ESLint();
  const use = (from: string) => `import { a } from '${from}';\nexport const b = a;\n`;
  await assertRestricted(eslint, [
    ['src/core/shell/quote.ts', use('../plan/schema'), true],
    ['src/core/shell/index.ts', use('./quote'), false],
    ['src/core/shell/x.ts', "import * as vscode from 'vscode';\nexport const a = vscode;\n", true],
    ['src/core/engines/index.ts', use('../remote/transport'), true],
    ['src/core/engines/index.ts', use('../ssh/config'), true],
    ['src/core/engines/index.ts', use('../shell'), false],
    ['src/core/sim/shims.ts', use('../remote/transport'), true],
    ['src/core/sim/engines/vllm/args.ts', use('../../../remote/shellWords'), true],
    ['src/core/sim/predict.ts', use('../tune/search'), true],
    ['src/core/sim/shims.ts', use('../shell'), false],
    ['src/core/sim/server.ts', use('../bench/metrics'), false],
    ['src/core/telemetry/live.ts', use('../tune/observer'), true],
    ['src/core/telemetry/live.ts', use('./samples'), false],
    ['src/core/telemetry/live.ts', use('../../vscode/extension'), true],
    ['src/core/tune/experiment.ts', use('../telemetry/samples'), false],
    ['src/core/remote/transport.ts', use('../shell'), false],
  ]);
});

async function assertRestricted(eslint: ESLint, cases: ReadonlyArray<[string, string, boolean]>): Promise<void> {
  for (const [filePath, code, shouldFail] of cases) {
    const [result] = await eslint.lintText(code, { filePath });
    const restricted = result!.messages.filter((m) => m.ruleId === 'no-restricted-imports');
    assert.equal(restricted.length > 0, shouldFail, `${filePath}: ${code.split('\n')[0]}: ${JSON.stringify(result!.messages)}`);
  }
}

test('the CLI bundle cannot be built when core imports vscode', async () => {
  await assert.rejects(
    esbuild.build({
      stdin: { contents: "import * as vscode from 'vscode'; console.log(vscode);", resolveDir: 'src/core', loader: 'ts' },
      bundle: true,
      platform: 'node',
      write: false,
      logLevel: 'silent',
    }),
    /Could not resolve "vscode"/,
  );
});
