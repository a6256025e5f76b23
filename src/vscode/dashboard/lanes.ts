// The lanes of a parallel run (issue 17): a pool measures several variants at once, one per host, and a Slurm host
// runs several jobs; the dashboard shows one lane each, with what it measures now and its state. This turns the
// runner's placed events into lane updates. Free of the `vscode` module, so it is unit-tested directly.
import type { EngineEvent, Placement, RunPosition } from '../../core/tune/observer';
import { MAX_LANES, type LaneStatus } from '../../shared/protocol';

/** A load point as a lane shows it: "8 req/s", "concurrency 64". */
export function describeLoad(load: NonNullable<RunPosition['load']>): string {
  return load.by === 'concurrency' ? `concurrency ${load.value}` : load.value === 'inf' ? 'unbounded rate' : `${load.value} req/s`;
}

export class LaneTracker {
  private readonly lanes = new Map<string, LaneStatus>();
  /** Slurm job id → the lane (slot) it runs in. */
  private readonly jobLanes = new Map<string, string>();

  /** `hosts`: the pool's hosts, each a lane from the start; a Slurm host's jobs get lanes as they are submitted. */
  constructor(hosts: readonly string[]) {
    for (const host of hosts.slice(0, MAX_LANES)) this.lanes.set(host, { key: host, host, state: 'idle' });
  }

  get all(): LaneStatus[] {
    return [...this.lanes.values()];
  }

  /**
   * The lane of a placement: its host's, or for a Slurm job the slot it runs in (a slot whose job ended is reused, so
   * a host of `max_parallel: 2` shows two lanes however many jobs the plan submits).
   */
  keyOf(place: Placement | undefined): string | undefined {
    if (!place) return undefined;
    if (!place.job) return this.lanes.has(place.host) || this.lanes.size < MAX_LANES ? place.host : undefined;
    const known = this.jobLanes.get(place.job.id);
    if (known) return known;
    // A free lane of the host: one whose job ended, or a pool's lane for the host that has no job yet.
    const free = this.all.find((l) => l.host === place.host && (l.job ? l.state === 'idle' : l.key === place.host && l.state !== 'down' && l.state !== 'benchmarking'));
    const slots = this.all.filter((l) => l.host === place.host).length;
    const key = free?.key ?? (this.lanes.size < MAX_LANES ? `${place.host} #${slots + 1}` : undefined);
    if (key) this.jobLanes.set(place.job.id, key);
    return key;
  }

  private set(place: Placement | undefined, change: (lane: LaneStatus) => LaneStatus): LaneStatus | undefined {
    const key = this.keyOf(place);
    if (!key || !place) return undefined;
    const lane = change(this.lanes.get(key) ?? { key, host: place.host, state: 'idle' });
    this.lanes.set(key, lane);
    return lane;
  }

  /** The lane an engine event changed, if any. */
  engine(event: EngineEvent): LaneStatus | undefined {
    const { place } = event;
    const base = (lane: LaneStatus): LaneStatus => ({ key: lane.key, host: lane.host, state: lane.state, ...(place?.job ? { job: place.job } : lane.job ? { job: lane.job } : {}) });
    switch (event.state) {
      case 'launching':
        return undefined; // not placed yet
      case 'placed':
        if (place?.down) return this.set(place, (l) => ({ ...base(l), state: 'down', detail: place.down!.slice(0, 400) }));
        return this.set(place, (l) => ({ ...base(l), state: place?.job?.state === 'PENDING' ? 'queued' : 'starting', option: event.option }));
      case 'ready':
        return this.set(place, (l) => ({ ...l, ...base(l), state: 'starting', option: event.option }));
      case 'crashed': {
        // A pool host that stopped answering is down; a Slurm job the scheduler ended only frees its slot.
        const down = event.crash.reason === 'place-lost' && !place?.job;
        return this.set(place, (l) => ({ ...base(l), state: down ? 'down' : 'idle', detail: `${event.option}: ${event.crash.rootCause}`.slice(0, 400) }));
      }
      case 'stopped':
        return this.set(place, (l) => (l.state === 'down' || l.state === 'idle' ? l : { ...base(l), state: 'idle', detail: `last measured ${event.option}` }));
    }
  }

  /** The lane that starts benchmarking a point. */
  point(position: RunPosition): LaneStatus | undefined {
    return this.set(position.place, (l) => ({
      ...(l.job ? { job: l.job } : {}),
      key: l.key,
      host: l.host,
      state: 'benchmarking',
      option: position.option,
      stage: position.stage,
      workload: position.workload,
      ...(position.load ? { load: describeLoad(position.load) } : {}),
    }));
  }
}
