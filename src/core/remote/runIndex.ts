// This machine's index of the engine runs it started (run id → host and run dir, in ~/.serving-lab/runs.json), so
// `engine status RUN` finds a run's host without --host.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from '../logger';
import { servingLabHome } from './hosts';
import { EngineRunError } from './runFiles';

function indexPath(): string {
  return join(servingLabHome(), 'runs.json');
}

type RunIndex = Record<string, { host: string; runDir: string }>;

/** This machine's run index; none yet is empty. An unreadable one is an error that says what to do, never `{}`. */
export function readRunIndex(): RunIndex {
  let text: string;
  try {
    text = readFileSync(indexPath(), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new EngineRunError(`cannot read the run index ${indexPath()}: ${(err as Error).message}`);
  }
  try {
    const index = JSON.parse(text) as unknown;
    if (index === null || typeof index !== 'object' || Array.isArray(index)) throw new Error('not a JSON object');
    return index as RunIndex;
  } catch (err) {
    throw new EngineRunError(
      `the run index ${indexPath()} is unreadable (${(err as Error).message}); name the run's host with --host, or move the file away (the next engine start keeps it aside and starts a new one)`,
    );
  }
}

/**
 * Adds a run to the index. An unreadable index is never overwritten (that would forget every run it knew): it is
 * moved aside, said so, and a new index starts; the runs it named are still on their hosts (`engine list --host`).
 */
export function recordRun(id: string, host: string, runDir: string, log: Logger): void {
  let index: RunIndex;
  try {
    index = readRunIndex();
  } catch (err) {
    const aside = `${indexPath()}.unreadable-${new Date().toISOString().replace(/[-:.]/g, '')}`;
    renameSync(indexPath(), aside);
    log.warn(`${(err as Error).message.split(';')[0]}: kept it as ${aside} and started a new index; \`serving-lab engine list --host NAME\` still shows every run on a host`);
    index = {};
  }
  index[id] = { host, runDir };
  mkdirSync(dirname(indexPath()), { recursive: true });
  // Through a rename: a half-written index would read as empty and forget every run.
  const temp = `${indexPath()}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(index, null, 2)}\n`);
  renameSync(temp, indexPath());
}

/** The host a run was started on (from this machine's index), for `engine status RUN` without --host. */
export function hostOfRun(id: string): string | undefined {
  return readRunIndex()[id]?.host;
}
