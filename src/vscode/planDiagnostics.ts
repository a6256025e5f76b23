// Plan errors from the core loader (the same one `serving-lab tune` uses) as diagnostics at their line and column,
// for *.plan.yaml / *.plan.yml / *.plan.json, updated as the user types.
import * as vscode from 'vscode';

export const PLAN_FILE = /\.plan\.(ya?ml|json)$/;

export function isPlanDocument(document: vscode.TextDocument): boolean {
  return PLAN_FILE.test(document.uri.path);
}

export function planDiagnostics(document: vscode.TextDocument): vscode.Diagnostic[] {
  // The loader (yaml + zod) is required when the first plan opens, not at activation.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parsePlan } = require('../core/plan/load') as typeof import('../core/plan/load');
  const result = parsePlan(document.getText(), document.uri.fsPath || document.uri.path);
  if (result.ok) return [];
  return result.problems.map((problem) => {
    const line = Math.min(Math.max(problem.line - 1, 0), Math.max(document.lineCount - 1, 0));
    const start = new vscode.Position(line, Math.max(problem.column - 1, 0));
    // Underline the word (key or value) at the position, or to the end of the line.
    const range = document.getWordRangeAtPosition(start, /[^\s:,{}[\]#]+/) ?? new vscode.Range(start, document.lineAt(line).range.end);
    const diagnostic = new vscode.Diagnostic(range, problem.path ? `${problem.path}: ${problem.message}` : problem.message, vscode.DiagnosticSeverity.Error);
    diagnostic.source = 'Serving Lab';
    return diagnostic;
  });
}

export function registerPlanDiagnostics(): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection('servingLab.plan');
  const pending = new Map<string, NodeJS.Timeout>();
  const update = (document: vscode.TextDocument) => {
    if (!isPlanDocument(document)) return;
    collection.set(document.uri, planDiagnostics(document));
  };
  const debounced = (document: vscode.TextDocument) => {
    const key = document.uri.toString();
    clearTimeout(pending.get(key));
    pending.set(key, setTimeout(() => update(document), 250));
  };
  vscode.workspace.textDocuments.forEach(update);
  return vscode.Disposable.from(
    collection,
    vscode.workspace.onDidOpenTextDocument(update),
    vscode.workspace.onDidChangeTextDocument((e) => debounced(e.document)),
    vscode.workspace.onDidCloseTextDocument((d) => {
      clearTimeout(pending.get(d.uri.toString()));
      collection.delete(d.uri);
    }),
    { dispose: () => pending.forEach((t) => clearTimeout(t)) },
  );
}
