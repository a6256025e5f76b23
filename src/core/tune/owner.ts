// Who runs an experiment right now (issue 16): an owner file next to the manifest, created with O_EXCL, naming the
// process (pid, machine, process start time). A second `tune --resume` of a live experiment is refused instead of
// stopping the first one's engines and overwriting its manifest; an owner whose process is gone (killed with -9) is
// stale and taken over; `results list --experiments` tells a "running" experiment that runs from one left behind.
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import type { Experiment } from '../plan/schema';
import { describeProcess, howToStop, parseIdentity, processHolder, sameProcess, thisProcess, type ProcessIdentity } from '../remote/hostUse';

export class ExperimentBusyError extends Error {}

export interface OwnerLease {
  /** True while the owner file still names this process (nobody removed it or took the experiment over). */
  held(): Promise<boolean>;
  release(): Promise<void>;
}

const NO_LEASE: OwnerLease = { held: async () => true, release: async () => undefined };

const ownerFile = (storeRoot: string, experimentId: string) => join(storeRoot, 'experiments', `${experimentId}.owner`);

/** The owner file's process, or undefined when there is none; a torn file reads as an owner long gone. */
async function readOwner(file: string): Promise<ProcessIdentity | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return parseIdentity(text) ?? { pid: 0, machine: '', processStartMs: 0, since: 'unknown' };
}

/**
 * Takes an experiment for this process. A live owner refuses, saying which process and how to stop it; a stale one is
 * moved aside and the file created again, so of two processes taking over at once only one wins. A store that is not
 * on disk (dry runs keep theirs in memory) is not shared and needs no owner.
 */
export async function takeExperiment(storeRoot: string, experimentId: string): Promise<OwnerLease> {
  if (!isAbsolute(storeRoot)) return NO_LEASE;
  const file = ownerFile(storeRoot, experimentId);
  const me = thisProcess();
  await mkdir(dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o644);
      try {
        await handle.writeFile(`${JSON.stringify(me)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return lease(file, me);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = await readOwner(file);
    if (!owner) continue; // released meanwhile
    if (sameProcess(owner, me)) return lease(file, me);
    const holder = processHolder(owner);
    if (holder.state === 'live') throw new ExperimentBusyError(`experiment ${experimentId} is still running in ${describeProcess(owner)}: wait for it to finish, or ${howToStop(owner)}; then resume it`);
    if (holder.state === 'elsewhere') {
      throw new ExperimentBusyError(`experiment ${experimentId} is running in ${describeProcess(owner)}, which cannot be checked from here: ${howToStop(owner)}; if that machine no longer runs it, delete ${file} and resume again`);
    }
    const aside = `${file}.stale-${process.pid}`;
    await rename(file, aside).catch(() => undefined);
    await rm(aside, { force: true });
  }
  throw new ExperimentBusyError(`could not take experiment ${experimentId}: its owner file ${file} keeps changing; is another tune starting it right now?`);
}

function lease(file: string, me: ProcessIdentity): OwnerLease {
  const mine = async () => {
    const owner = await readOwner(file).catch(() => undefined);
    return owner !== undefined && sameProcess(owner, me);
  };
  return {
    held: mine,
    async release() {
      if (await mine()) await rm(file, { force: true });
    },
  };
}

/** For listings: whether a "running" experiment still runs here, runs elsewhere, or was left behind (and why). */
export async function runningState(storeRoot: string, experiment: Experiment): Promise<{ state: 'live' | 'elsewhere' | 'stale'; detail: string } | undefined> {
  if (experiment.status !== 'running' || !isAbsolute(storeRoot)) return undefined;
  const owner = await readOwner(ownerFile(storeRoot, experiment.id)).catch(() => undefined);
  if (!owner) return { state: 'stale', detail: 'no process owns it' };
  const holder = processHolder(owner);
  if (holder.state === 'gone') return { state: 'stale', detail: holder.why };
  return { state: holder.state, detail: describeProcess(owner) };
}
