// Entry point the extension host loads with extensionTestsPath (code-server stage 2, or @vscode/test-electron).
// Contract: export run(): Promise<void>; a rejected promise is a failing run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  // SERVING_LAB_E2E_GREP runs only the matching tests (by hand, while working on one of them).
  const grep = process.env['SERVING_LAB_E2E_GREP'];
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60_000, reporter: 'spec', ...(grep ? { grep } : {}) });
  for (const file of fs.readdirSync(__dirname).sort()) {
    if (file.endsWith('.test.js')) mocha.addFile(path.join(__dirname, file));
  }
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      // The closing line CI's log reader (and test/e2e/run.mjs) recognises.
      console.log(`${runner.stats?.passes ?? 0} passed, ${runner.stats?.failures ?? failures} failed`);
      if (failures > 0) reject(new Error(`${failures} extension-host test(s) failed`));
      else resolve();
    });
  });
}
