// Activation stays light: the views, settings and command registrations load here; the core's heavy parts (ssh2, the
// experiment runner, the report writer, the benchmark parser) load on first use through dynamic imports.
import { bundleEvaluationStart, vscodeApiReadyAt } from './loadClock';
import * as vscode from 'vscode';
import type MarkdownIt from 'markdown-it';
import { CapacityCommands, type CapacityArgs } from './commands/capacity';
import { HostCommands, type HostTarget } from './commands/hosts';
import { ResultsCommands, type ResultsTarget } from './commands/results';
import { RunCommands, type BenchmarkArgs } from './commands/run';
import { Lab } from './lab';
import { registerPlanDiagnostics } from './planDiagnostics';
import { HostsTreeProvider, type HostsNode } from './views/hostsTree';
import { ResultsTreeProvider } from './views/resultsTree';

/** What activate() returns: the markdown preview hook, and handles the extension-host tests use. */
export interface ServingLabApi {
  extendMarkdownIt(md: MarkdownIt): MarkdownIt;
  lab: Lab;
  resultsTree: ResultsTreeProvider;
  hostsTree: HostsTreeProvider;
}

export function activate(context: vscode.ExtensionContext): ServingLabApi {
  const started = performance.now();
  const apiMs = vscodeApiReadyAt - bundleEvaluationStart;
  const evaluationMs = bundleEvaluatedAt - vscodeApiReadyAt;
  const lab = new Lab(context);
  const resultsTree = new ResultsTreeProvider(lab);
  const hostsTree = new HostsTreeProvider(lab);
  const results = new ResultsCommands(lab, resultsTree);
  const hosts = new HostCommands(lab, hostsTree);
  const runs = new RunCommands(lab);
  const capacity = new CapacityCommands(lab, runs);

  const command = (id: string, handler: (...args: never[]) => unknown) =>
    vscode.commands.registerCommand(id, async (...args: never[]) => {
      try {
        return await handler(...args);
      } catch (err) {
        const message = (err as Error).message ?? String(err);
        lab.log.error(`${id}: ${message}`);
        void vscode.window.showErrorMessage(`Serving Lab: ${message}`, 'Show Logs').then((a) => a && lab.log.show());
        return undefined;
      }
    });

  context.subscriptions.push(
    lab,
    resultsTree,
    hostsTree,
    vscode.window.createTreeView('servingLab.results', { treeDataProvider: resultsTree, showCollapseAll: true }),
    vscode.window.createTreeView('servingLab.hosts', { treeDataProvider: hostsTree, showCollapseAll: true }),
    registerPlanDiagnostics(),
    command('servingLab.benchmark', (args?: BenchmarkArgs) => runs.benchmark(args && typeof args === 'object' && !('kind' in args) ? args : {})),
    command('servingLab.runPlan', (target?: vscode.Uri | string) => runs.runPlan(target)),
    command('servingLab.findCapacity', (args?: CapacityArgs) => capacity.find(args && typeof args === 'object' && !('kind' in args) ? args : {})),
    command('servingLab.rerun', async (target?: ResultsTarget) => {
      if (!target || typeof target !== 'object') return undefined;
      if (target.kind === 'option') return runs.benchmark({ host: target.experiment.plan.host, command: target.option.command, workload: target.experiment.plan.workloads.primary });
      if (target.kind === 'result') {
        const result = await lab.store().loadResult(target.resultId);
        if (!result.commands.serve || !result.workload) throw new Error(`result ${result.id} does not record its serve command and workload, so it cannot be re-run`);
        const experiment = result.experimentId ? await lab.store().loadExperiment(result.experimentId).catch(() => undefined) : undefined;
        return runs.benchmark({ host: experiment?.plan.host ?? result.host?.name ?? 'sim', command: result.commands.serve, workload: result.workload });
      }
      return undefined;
    }),
    command('servingLab.addHost', () => hosts.add()),
    command('servingLab.checkHost', (target?: HostTarget) => hosts.check(target)),
    command('servingLab.stopEngine', (target?: HostsNode | { host: string; runId: string }) => hosts.stopEngine(target)),
    command('servingLab.stopAllEngines', (target?: HostTarget) => hosts.stopAll(target)),
    command('servingLab.showEngineLogs', (target?: HostsNode) => hosts.showEngineLog(target)),
    command('servingLab.refreshHosts', () => hostsTree.refresh()),
    command('servingLab.openDashboard', () => lab.dashboard.show()),
    command('servingLab.openResult', (target?: ResultsTarget) => results.open(target)),
    command('servingLab.compareResults', () => results.compare()),
    command('servingLab.compareWithBaseline', (target?: ResultsTarget) => results.compareWithBaseline(target)),
    command('servingLab.showCurves', (target?: ResultsTarget | string[]) => results.showCurves(target)),
    command('servingLab.insertFindings', async (target?: ResultsTarget) => {
      const experiment = await results.experimentOf(target, 'Serving Lab: insert the findings of which experiment?');
      if (!experiment) return undefined;
      const { insertFindings } = await import('./commands/findings');
      return insertFindings(lab, experiment);
    }),
    command('servingLab.importResult', (files?: vscode.Uri[]) => results.importResult(files)),
    command('servingLab.exportResults', (target?: vscode.Uri) => results.exportResults(target)),
    command('servingLab.revealResultJson', (target?: ResultsTarget) => results.revealJson(target)),
    command('servingLab.deleteResult', (target?: ResultsTarget) => results.delete(target)),
    command('servingLab.copyServeCommand', (target?: ResultsTarget) => results.copyServeCommand(target)),
    command('servingLab.refreshResults', () => resultsTree.refresh()),
    command('servingLab.showLogs', () => lab.log.show()),
    command('servingLab.forgetCredentials', async () => {
      const n = await lab.credentials.forgetAll();
      void vscode.window.showInformationMessage(`Serving Lab: forgot ${n} saved credential(s).`);
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => hostsTree.refresh()),
  );
  // bench/activation reads this line.
  lab.log.info(`activation: vscode API ready in ${apiMs.toFixed(1)} ms, modules evaluated in ${evaluationMs.toFixed(1)} ms, activate() took ${(performance.now() - started).toFixed(1)} ms`);

  return {
    extendMarkdownIt(md) {
      // The admonition plugin (core/report) loads only when a markdown preview first opens.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { admonitionPlugin } = require('../core/report/markdownIt') as typeof import('../core/report/markdownIt');
      return md.use(admonitionPlugin);
    },
    lab,
    resultsTree,
    hostsTree,
  };
}

export function deactivate(): void {}

// The last statement of the entry module: every module activation needs has been evaluated by now. (VS Code creates
// the extension context before it calls activate(); that wait is VS Code's and is not counted.)
const bundleEvaluatedAt = performance.now();
