import * as vscode from 'vscode';
import { ResultsTreeProvider } from './views/resultsTree';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Serving Lab', { log: true });
  context.subscriptions.push(log);
  context.subscriptions.push(vscode.window.registerTreeDataProvider('servingLab.results', new ResultsTreeProvider()));
  context.subscriptions.push(
    vscode.commands.registerCommand('servingLab.benchmark', async () => {
      log.info('Benchmark GLM config requested');
      await vscode.window.showInformationMessage('Serving Lab: benchmarking arrives with the simulated host and the benchmark runner.');
    }),
  );
}

export function deactivate(): void {}
