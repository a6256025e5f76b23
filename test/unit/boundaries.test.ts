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
  for (const [filePath, code, shouldFail] of cases) {
    const [result] = await eslint.lintText(code, { filePath });
    const restricted = result!.messages.filter((m) => m.ruleId === 'no-restricted-imports');
    assert.equal(restricted.length > 0, shouldFail, `${filePath}: ${JSON.stringify(result!.messages)}`);
  }
});

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
