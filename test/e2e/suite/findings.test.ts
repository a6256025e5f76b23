import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { api, REFERENCE_EXPERIMENT, seedReferenceStore, waitFor, workspaceDir } from './helpers';

suite('Insert Findings into Document', () => {
  suiteSetup(async () => {
    seedReferenceStore();
    const { resultsTree } = await api();
    resultsTree.refresh();
  });

  test('the reference experiment appears in the Results tree with its stages, crash reasons and recommendation', async () => {
    const { resultsTree } = await api();
    const experimentNode = await waitFor('the seeded experiment', async () => (await resultsTree.getChildren()).find((n) => n.kind === 'experiment' && n.experiment.id === REFERENCE_EXPERIMENT));
    const stages = await resultsTree.getChildren(experimentNode);
    const labels = await Promise.all(stages.map(async (s) => (await resultsTree.getTreeItem(s)).label));
    assert.deepEqual(labels.slice(0, 2), ['Baseline', 'Engine']);
    const engine = stages[1]!;
    const options = await Promise.all((await resultsTree.getChildren(engine)).map((o) => resultsTree.getTreeItem(o)));
    const trt = options.find((o) => o.label === 'TensorRT-LLM');
    const sglang = options.find((o) => o.label === 'SGLang');
    assert.match(String(trt?.description), /^crash: /);
    assert.match(String(sglang?.description), /tok\/s total.*winner/);
  });

  test('inserts the report at the cursor as one undoable edit, and re-inserting replaces only its region', async () => {
    const file = path.join(workspaceDir(), 'docs', 'findings.md');
    const original = fs.readFileSync(file, 'utf8');
    const document = await vscode.workspace.openTextDocument(file);
    const editor = await vscode.window.showTextDocument(document);
    const end = document.positionAt(original.length);
    editor.selection = new vscode.Selection(end, end);

    const inserted = (await vscode.commands.executeCommand('servingLab.insertFindings', REFERENCE_EXPERIMENT)) as { replaced: boolean; chartFile: string } | undefined;
    assert.ok(inserted, 'the command returns what it did');
    assert.equal(inserted.replaced, false);
    const after = document.getText();
    assert.ok(after.startsWith(original), 'the text before the cursor is untouched');
    assert.match(after, new RegExp(`<!-- serving-lab:begin ${REFERENCE_EXPERIMENT} -->`));
    assert.match(after, /\?\?\?\+ tip "Serving Command"/);
    assert.match(after, /<!-- serving-lab:end /);
    assert.ok(fs.existsSync(inserted.chartFile), 'the chart was written next to the document');
    assert.ok(document.isDirty, 'the edit is in the editor, not written behind its back');

    // Inserting again replaces the region with the same content: nothing changes.
    const again = (await vscode.commands.executeCommand('servingLab.insertFindings', REFERENCE_EXPERIMENT)) as { replaced: boolean } | undefined;
    assert.equal(again?.replaced, true);
    assert.equal(document.getText(), after);

    // One undo removes the whole insertion.
    await vscode.window.showTextDocument(document);
    await vscode.commands.executeCommand('undo');
    assert.equal(document.getText(), original);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  test('without a markdown editor, the page is created under docs/', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const inserted = (await vscode.commands.executeCommand('servingLab.insertFindings', REFERENCE_EXPERIMENT)) as { document: vscode.Uri } | undefined;
    assert.ok(inserted);
    assert.equal(path.dirname(inserted.document.fsPath), path.join(workspaceDir(), 'docs'));
    const text = fs.readFileSync(inserted.document.fsPath, 'utf8');
    assert.match(text, /## Conclusion/);
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, inserted.document.fsPath);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
