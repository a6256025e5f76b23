// Insert Findings into Document: the report of an experiment, written into the active markdown editor (at the cursor,
// or replacing the region it inserted before) as ONE workspace edit, so a single undo removes it. Without a markdown
// editor the page is created as docs/<plan name>.md. The chart goes to an assets folder next to the document.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Experiment } from '../../core/plan/schema';
import { baseDir } from '../config';
import type { Lab } from '../lab';

export interface InsertedFindings {
  document: vscode.Uri;
  regionId: string;
  chartFile: string;
  /** True when an existing region was replaced. */
  replaced: boolean;
}

export function slugOf(name: string): string {
  return name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'serving-lab-findings';
}

/** The smallest single replacement that turns `before` into `after` (keeps the cursor and folding stable). */
function minimalReplacement(before: string, after: string): { start: number; end: number; text: string } {
  let prefix = 0;
  const max = Math.min(before.length, after.length);
  while (prefix < max && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (suffix < max - prefix && before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)) suffix++;
  return { start: prefix, end: before.length - suffix, text: after.slice(prefix, after.length - suffix) };
}

export async function insertFindings(lab: Lab, experiment: Experiment): Promise<InsertedFindings | undefined> {
  const report = await import('../../core/report/write');
  const { insertRegion, findRegions, RegionMarkerError } = await import('../../core/report/insert');
  const store = lab.store();
  const regionId = experiment.id;
  const editor = vscode.window.activeTextEditor;

  if (!editor || editor.document.languageId !== 'markdown') {
    const file = path.join(baseDir(), 'docs', `${slugOf(experiment.plan.name)}.md`);
    const written = await report.writeReport({ store, experiment, insertInto: { file, regionId }, assetsDir: path.join(baseDir(), 'docs', 'assets'), cwd: baseDir() });
    const document = vscode.Uri.file(file);
    await vscode.window.showTextDocument(document);
    lab.log.info(`findings of ${experiment.id} written to ${file} (chart ${written.chartFile})`);
    return { document, regionId, chartFile: written.chartFile, replaced: false };
  }

  const document = editor.document;
  const documentDir = document.uri.scheme === 'file' ? path.dirname(document.uri.fsPath) : path.join(baseDir(), 'docs');
  const documentFile = document.uri.scheme === 'file' ? document.uri.fsPath : path.join(documentDir, 'findings.md');
  const rendered = await report.renderReportForDocument({ store, experiment, documentFile, assetsDir: path.join(documentDir, 'assets') });
  const chartFile = rendered.chartFile;
  await vscode.workspace.fs.createDirectory(vscode.Uri.file(path.dirname(chartFile)));
  await vscode.workspace.fs.writeFile(vscode.Uri.file(chartFile), Buffer.from(rendered.chartSvg, 'utf8'));
  for (const asset of rendered.assets) await vscode.workspace.fs.writeFile(vscode.Uri.file(path.join(path.dirname(chartFile), asset.fileName)), Buffer.from(asset.svg, 'utf8'));

  const text = document.getText();
  let replaced: boolean;
  let edit: { start: number; end: number; text: string };
  try {
    replaced = findRegions(text).some((r) => r.id === regionId);
    if (replaced) {
      edit = minimalReplacement(text, insertRegion(text, regionId, rendered.markdown));
    } else {
      // A new region goes where the cursor is, on lines of its own.
      const at = document.offsetAt(editor.selection.active);
      const lineStart = document.offsetAt(document.lineAt(editor.selection.active.line).range.start);
      const block = insertRegion('', regionId, rendered.markdown);
      const before = at === lineStart ? (at > 0 && !/\n\s*\n$/.test(text.slice(0, at)) ? '\n' : '') : '\n\n';
      edit = { start: at, end: at, text: `${before}${block}${at < text.length && at === lineStart ? '\n' : ''}` };
    }
  } catch (err) {
    if (err instanceof RegionMarkerError) {
      const answer = await vscode.window.showErrorMessage(`Serving Lab: ${document.fileName}:${err.line}: ${err.message}. Fix the serving-lab markers, then insert again.`, 'Go to Line');
      if (answer === 'Go to Line') editor.selection = new vscode.Selection(err.line - 1, 0, err.line - 1, 0);
      return undefined;
    }
    throw err;
  }
  const workspaceEdit = new vscode.WorkspaceEdit();
  workspaceEdit.replace(document.uri, new vscode.Range(document.positionAt(edit.start), document.positionAt(edit.end)), edit.text);
  if (!(await vscode.workspace.applyEdit(workspaceEdit))) {
    void vscode.window.showErrorMessage(`Serving Lab: VS Code refused the edit to ${document.fileName} (is it read-only?).`);
    return undefined;
  }
  lab.log.info(`findings of ${experiment.id} ${replaced ? 'updated in' : 'inserted into'} ${document.fileName}`);
  return { document: document.uri, regionId, chartFile, replaced };
}
