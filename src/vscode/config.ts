// The extension's settings, read in one place. Workspace-level values of host settings are ignored in Restricted Mode
// (package.json lists them in `restrictedConfigurations`).
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HostSpec, Runner } from '../core/plan/schema';

export const SECTION = 'servingLab';

export interface Settings {
  hosts: HostSpec[];
  /** Problems with `servingLab.hosts` entries, to be reported once rather than thrown. */
  hostProblems: string[];
  hostsFile?: string;
  sshConfigFile?: string;
  resultsDirectory: string;
  defaultRunner: Runner;
  defaultWorkloads: string[];
  simulatedHostSpeedup: number;
  metricsScrapeIntervalS: number;
  dashboardRefreshMs: number;
}

export function workspaceRoot(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

/** The directory relative paths are resolved against: the first workspace folder, else the user's home. */
export function baseDir(): string {
  return workspaceRoot() ?? (process.env['HOME'] || process.cwd());
}

export function readSettings(): Settings {
  // Required here, not imported: the schema module is heavy to evaluate and activation does not need it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { HostSpec, RUNNERS } = require('../core/plan/schema') as typeof import('../core/plan/schema');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { DEFAULT_STORE_DIR } = require('../core/results/store') as typeof import('../core/results/store');
  const config = vscode.workspace.getConfiguration(SECTION);
  const hosts: HostSpec[] = [];
  const hostProblems: string[] = [];
  for (const [i, entry] of (config.get<unknown[]>('hosts') ?? []).entries()) {
    const parsed = HostSpec.safeParse(entry);
    if (parsed.success) hosts.push(parsed.data);
    else hostProblems.push(`servingLab.hosts[${i}]: ${parsed.error.issues.map((x) => `${x.path.join('.') || 'entry'}: ${x.message}`).join('; ')}`);
  }
  const runner = config.get<string>('defaultRunner') ?? 'vllm-bench';
  const nonEmpty = (value: string | undefined) => (value && value.trim() ? value.trim() : undefined);
  return {
    hosts,
    hostProblems,
    hostsFile: nonEmpty(config.get<string>('hostsFile')),
    sshConfigFile: nonEmpty(config.get<string>('sshConfigFile')),
    resultsDirectory: path.resolve(baseDir(), config.get<string>('resultsDirectory') || DEFAULT_STORE_DIR),
    defaultRunner: (RUNNERS as readonly string[]).includes(runner) ? (runner as Runner) : 'vllm-bench',
    defaultWorkloads: config.get<string[]>('defaultWorkloads') ?? ['sharegpt'],
    simulatedHostSpeedup: Math.max(1, config.get<number>('simulatedHostSpeedup') ?? 1),
    metricsScrapeIntervalS: config.get<number>('metricsScrapeInterval') ?? 1,
    dashboardRefreshMs: config.get<number>('dashboardRefreshMs') ?? 500,
  };
}
