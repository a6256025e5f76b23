// A pool of hosts as one TuneBackend: the experiment runner measures `parallelism` variants at once and each launch
// goes to a free host (one engine per host at a time; a Slurm host takes its maxParallel jobs). Before any number is
// kept, the hosts must be comparable (same GPU model and count, driver, engine versions) unless the plan allows mixing;
// every result says which host measured it. A host that stops answering loses only its running point: it becomes a
// `place-lost` crash, which the runner measures again once, on a host that still answers.
import type { EngineName, EngineVariant, HostFacts, Workload } from '../plan/schema';
import type { HostModelConfig } from '../remote/modelConfig';
import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import type { LaunchOptions } from './backend';
import { EngineCrashedError, ExperimentError, type BenchmarkOutcome, type BenchmarkRequest, type EngineSession, type LaunchOutcome } from './experiment';
import { openHostBackend, type ConnectedHostBackend, type HostBackendOptions } from './hostBackend';

export interface PoolMember {
  name: string;
  backend: ConnectedHostBackend;
}

interface MemberState extends PoolMember {
  busy: number;
  lost?: string;
}

/** Engines a member runs at once: one, a Slurm host's jobs, or with shareGpus as many as its GPUs allow. */
const capacityOf = (m: MemberState) => m.backend.parallelism ?? 1;

/** What must match for numbers of two hosts to be compared: GPU model and count, driver, engine versions. */
export function comparabilityKey(facts: HostFacts): string {
  const gpus = facts.gpus.map((g) => g.name).sort();
  const engines = Object.entries(facts.engineVersions).sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify({ gpus, driver: facts.driverVersion ?? null, engines });
}

export function describeFacts(facts: HostFacts): string {
  const byName = new Map<string, number>();
  for (const g of facts.gpus) byName.set(g.name, (byName.get(g.name) ?? 0) + 1);
  const gpus = [...byName].map(([name, n]) => `${n}× ${name}`).join(' + ') || 'no GPUs';
  const engines = Object.entries(facts.engineVersions).map(([e, v]) => `${e} ${v}`).join(', ') || 'no engine versions';
  return `${gpus}, driver ${facts.driverVersion ?? 'unknown'}, ${engines}`;
}

/** Session run ids carry their host, so stop/benchmark find it and a resume can stop leftovers per host. */
const SEPARATOR = '@';
const poolRunId = (member: string, runId: string) => `${runId}${SEPARATOR}${member}`;
/** A pool's session run id as its member host knows it: the host's own run id and the host's name. */
export function splitRunId(id: string): { runId: string; member: string } | undefined {
  const at = id.lastIndexOf(SEPARATOR);
  return at > 0 ? { runId: id.slice(0, at), member: id.slice(at + 1) } : undefined;
}

export class PoolBackend implements ConnectedHostBackend {
  readonly runner;
  readonly notes: string[] = [];
  private readonly members: MemberState[];
  private readonly log: Logger;
  private readonly waiting: Array<() => void> = [];
  private hostFacts: HostFacts | undefined;

  constructor(members: PoolMember[], private readonly options: { allowMixed?: boolean; log?: Logger } = {}) {
    if (members.length === 0) throw new ExperimentError('a pool needs at least one host');
    this.members = members.map((m) => ({ ...m, busy: 0 }));
    this.runner = members[0]!.backend.runner;
    this.log = options.log ?? silentLogger;
    this.notes.push(...members[0]!.backend.notes);
  }

  get parallelism(): number {
    return this.members.filter((m) => !m.lost).reduce((n, m) => n + capacityOf(m), 0);
  }

  async facts(signal: AbortSignal): Promise<HostFacts> {
    if (this.hostFacts) return this.hostFacts;
    const all = await Promise.all(this.members.map(async (m) => ({ m, facts: await m.backend.facts(signal) })));
    const reference = all[0]!;
    const odd = all.filter((x) => comparabilityKey(x.facts) !== comparabilityKey(reference.facts));
    if (odd.length > 0 && !this.options.allowMixed) {
      const lines = all.map((x) => `  ${x.m.name}: ${describeFacts(x.facts)}`).join('\n');
      throw new ExperimentError(`the hosts of the pool are not comparable, so their numbers cannot be mixed:\n${lines}\nuse hosts with the same GPU model and count, driver and engine versions, or set allowMixed: true in the plan to label every result with its host`);
    }
    const names = this.members.map((m) => m.name).join('+');
    this.notes.push(`measured on a pool of ${this.members.length} hosts (${this.members.map((m) => m.name).join(', ')}): ${odd.length > 0 ? `MIXED hardware or software — ${all.map((x) => `${x.m.name}: ${describeFacts(x.facts)}`).join('; ')}` : describeFacts(reference.facts)}`);
    this.hostFacts = { ...reference.facts, name: names };
    return this.hostFacts;
  }

  /** The hosts are comparable, so one host's copy of a model's config stands for all. */
  async modelConfig(model: string, engine: EngineName, signal: AbortSignal): Promise<HostModelConfig | undefined> {
    return this.members.find((m) => !m.lost)?.backend.modelConfig?.(model, engine, signal);
  }

  launchCommand(variant: EngineVariant): string {
    return this.members[0]!.backend.launchCommand(variant);
  }

  benchCommand(variant: EngineVariant, workload: Workload): string {
    return this.members[0]!.backend.benchCommand(variant, workload);
  }

  /** A host with a free slot (and, sharing GPUs, enough free ones for the variant), the least busy first; waits for one. */
  private async acquire(variant: EngineVariant, signal: AbortSignal): Promise<MemberState> {
    for (;;) {
      if (signal.aborted) throw signal.reason;
      const live = this.members.filter((m) => !m.lost);
      if (live.length === 0) throw new ExperimentError(`every host of the pool dropped out (${this.members.map((m) => `${m.name}: ${m.lost}`).join('; ')}); what was measured is saved: resume with --resume once a host answers again`);
      const free = live.filter((m) => m.busy < capacityOf(m) && (m.backend.fits?.(variant) ?? true)).sort((a, b) => a.busy / capacityOf(a) - b.busy / capacityOf(b))[0];
      if (free) {
        free.busy++;
        return free;
      }
      await new Promise<void>((wake) => this.waiting.push(wake));
    }
  }

  private release(member: MemberState): void {
    member.busy = Math.max(0, member.busy - 1);
    for (const wake of this.waiting.splice(0)) wake();
  }

  /** After an error that is not the engine's: is the host gone? Then it takes no more points. */
  private async lostAfter(member: MemberState, err: Error): Promise<boolean> {
    if (member.lost) return true;
    if (await member.backend.reachable()) return false;
    member.lost = err.message;
    this.log.warn(`host ${member.name} of the pool stopped answering (${err.message}); its points go to the other hosts`);
    for (const wake of this.waiting.splice(0)) wake();
    return true;
  }

  async launch(variant: EngineVariant, options: LaunchOptions): Promise<LaunchOutcome> {
    for (;;) {
      const member = await this.acquire(variant, options.signal);
      options.onPlace?.({ host: member.name });
      let outcome: LaunchOutcome;
      try {
        outcome = await member.backend.launch(variant, {
          signal: options.signal,
          onLog: (line) => options.onLog(`[${member.name}] ${line}`),
          onPlace: (place) => options.onPlace?.({ ...place, host: member.name }),
        });
      } catch (err) {
        this.release(member);
        if (options.signal.aborted || !(await this.lostAfter(member, err as Error))) throw err;
        options.onPlace?.({ host: member.name, down: member.lost ?? (err as Error).message });
        continue; // placed on another host
      }
      if (!outcome.ok) {
        this.release(member);
        return outcome.runId ? { ...outcome, runId: poolRunId(member.name, outcome.runId) } : outcome;
      }
      options.onLog(`[serving-lab] ${variant.engine} placed on ${member.name}`);
      return { ...outcome, session: { ...outcome.session, runId: poolRunId(member.name, outcome.session.runId) } };
    }
  }

  private memberOf(session: EngineSession): { member: MemberState; inner: EngineSession } {
    const split = splitRunId(session.runId);
    const member = split && this.members.find((m) => m.name === split.member);
    if (!split || !member) throw new Error(`run ${session.runId} was not launched by this pool`);
    return { member, inner: { ...session, runId: split.runId } };
  }

  async warmup(session: EngineSession, signal: AbortSignal): Promise<void> {
    const { member, inner } = this.memberOf(session);
    await this.guard(member, () => member.backend.warmup(inner, signal), signal);
  }

  async resetPrefixCache(session: EngineSession, signal: AbortSignal): Promise<boolean> {
    const { member, inner } = this.memberOf(session);
    return this.guard(member, () => member.backend.resetPrefixCache(inner, signal), signal);
  }

  async benchmark(request: BenchmarkRequest): Promise<BenchmarkOutcome> {
    const { member, inner } = this.memberOf(request.session);
    const outcome = await this.guard(member, () => member.backend.benchmark({ ...request, session: inner }), request.signal);
    return { ...outcome, notes: [...outcome.notes, `measured on pool host ${member.name}`], place: { ...outcome.place, host: member.name } };
  }

  /** Runs a step on a member; a failure of a host that no longer answers is that point's place-lost crash. */
  private async guard<T>(member: MemberState, step: () => Promise<T>, signal: AbortSignal): Promise<T> {
    try {
      return await step();
    } catch (err) {
      if (signal.aborted || err instanceof EngineCrashedError || !(await this.lostAfter(member, err as Error))) throw err;
      throw new EngineCrashedError({ reason: 'place-lost', rootCause: `host ${member.name} stopped answering during the benchmark (${(err as Error).message})`, logExcerpt: [] });
    }
  }

  async stop(session: EngineSession): Promise<void> {
    const { member, inner } = this.memberOf(session);
    try {
      if (!member.lost) await member.backend.stop(inner);
    } catch (err) {
      if (!(await this.lostAfter(member, err as Error))) throw err;
    } finally {
      this.release(member);
    }
  }

  async stopLeftovers(runIds: readonly string[], match: { since: string; variants: readonly EngineVariant[] }): Promise<string[]> {
    const stopped: string[] = [];
    for (const member of this.members) {
      const ids = runIds.map(splitRunId).filter((s) => s?.member === member.name).map((s) => s!.runId);
      const ours = await member.backend.stopLeftovers(ids, match);
      stopped.push(...ours.map((id) => poolRunId(member.name, id)));
    }
    return stopped;
  }

  /** Holds every member host; one in use releases those already held and refuses. */
  async holdHost(purpose: string): Promise<() => Promise<void>> {
    const releases: Array<() => Promise<void>> = [];
    const releaseAll = async () => {
      for (const release of releases.splice(0)) await release();
    };
    try {
      for (const member of this.members) {
        const release = await member.backend.holdHost?.(purpose);
        if (release) releases.push(release);
      }
    } catch (err) {
      await releaseAll();
      throw err;
    }
    return releaseAll;
  }

  async reachable(): Promise<boolean> {
    const answers = await Promise.all(this.members.map((m) => m.backend.reachable()));
    return answers.some(Boolean);
  }

  async close(): Promise<void> {
    await Promise.all(this.members.map((m) => m.backend.close().catch(() => {})));
  }
}

/** Opens every host of a pool (in parallel); one that cannot be reached fails the start with its name. */
export async function openPoolBackend(
  hostNames: readonly string[],
  // `hostSpecOf`: hosts known only to the caller (the extension's servingLab.hosts setting); the rest resolve by name.
  options: Omit<HostBackendOptions, 'hostName' | 'hostSpec'> & { allowMixed?: boolean; hostSpecOf?: (hostName: string) => HostBackendOptions['hostSpec'] },
  signal: AbortSignal,
): Promise<PoolBackend> {
  const duplicate = hostNames.find((n, i) => hostNames.indexOf(n) !== i);
  if (duplicate) throw new ExperimentError(`host "${duplicate}" is named twice in the pool`);
  const { hostSpecOf, ...hostOptions } = options;
  const opened = await Promise.allSettled(
    hostNames.map((hostName) => {
      const hostSpec = hostSpecOf?.(hostName);
      return openHostBackend({ ...hostOptions, hostName, ...(hostSpec ? { hostSpec } : {}) }, signal);
    }),
  );
  const failed = opened.findIndex((o) => o.status === 'rejected');
  if (failed >= 0) {
    for (const o of opened) if (o.status === 'fulfilled') await o.value.close().catch(() => {});
    throw new ExperimentError(`cannot open host ${hostNames[failed]} of the pool: ${((opened[failed] as PromiseRejectedResult).reason as Error).message}`);
  }
  const members = opened.map((o, i) => ({ name: hostNames[i]!, backend: (o as PromiseFulfilledResult<ConnectedHostBackend>).value }));
  return new PoolBackend(members, { ...(options.allowMixed !== undefined ? { allowMixed: options.allowMixed } : {}), ...(options.log ? { log: options.log } : {}) });
}
