import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { api, repo, waitFor, workspaceDir } from './helpers';

suite('plan diagnostics', () => {
  test('errors from the plan loader appear at their line and column, and go away when fixed', async () => {
    await api();
    const file = path.join(workspaceDir(), 'plans', 'broken.plan.yaml');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.copyFileSync(path.join(repo(), 'test/fixtures/plans/broken.plan.yaml'), file);
    const document = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(document);
    const diagnostics = await waitFor('plan diagnostics', () => {
      const d = vscode.languages.getDiagnostics(document.uri).filter((x) => x.source === 'Serving Lab');
      return d.length ? d : undefined;
    });
    const at = (line: number, column: number) => diagnostics.find((d) => d.range.start.line === line - 1 && d.range.start.character === column - 1);
    // `tp: four` on line 18, column 50; `kind: quant` on line 25; the unknown key `bogus` on line 26; a misspelled preset on line 57.
    assert.match(at(18, 50)?.message ?? 'missing', /stages\[0\]\.options\[0\]\.variant\.parallel\.tp: expected a positive integer, got "four"/);
    assert.equal(document.getText(at(18, 50)!.range), 'four');
    assert.match(at(25, 11)?.message ?? 'missing', /stages\[1\]\.kind: expected one of/);
    assert.match(at(26, 5)?.message ?? 'missing', /unknown key "bogus"/);
    assert.equal(document.getText(at(26, 5)!.range), 'bogus');
    assert.match(at(57, 12)?.message ?? 'missing', /unknown workload preset "sharegpd"/);
    assert.equal(diagnostics.length, 6);

    // Fixing the preset removes its diagnostic without saving.
    const editor = vscode.window.activeTextEditor!;
    await editor.edit((b) => b.replace(at(57, 12)!.range, 'sharegpt'));
    await waitFor('the fixed diagnostic to go away', () => (vscode.languages.getDiagnostics(document.uri).filter((x) => x.source === 'Serving Lab').length === 5 ? true : undefined));
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
