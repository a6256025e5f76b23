import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServeCommand } from '../../../src/core/engines/index';
import { TuningPlan, type HostFacts, type TuningPlanInput } from '../../../src/core/plan/schema';
import { openResultsStore } from '../../../src/core/results/store';
import { EngineCrashedError, runExperiment, type BenchmarkOutcome, type BenchmarkRequest, type EngineSession } from '../../../src/core/tune/experiment';
import type { ConnectedHostBackend } from '../../../src/core/tune/hostBackend';
import type { RunObserver } from '../../../src/core/tune/observer';
import { PoolBackend } from '../../../src/core/tune/pool';
import { FakeBackend } from './fakeBackend';
import { useTempDirs } from '../../support/tempDirs';

const tempDir = useTempDirs();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A host of the pool: a FakeBackend whose benchmarks take a little while, which can be made to stop answering. */
class FakeHost extends FakeBackend implements ConnectedHostBackend {
  readonly notes: string[] = [];
  down = false;
  static active = 0;
  static maxActive = 0;
  constructor(
    readonly name: string,
    private readonly gpu = 'NVIDIA A100-SXM4-80GB',
    private readonly onBenchmark?: (host: FakeHost, request: BenchmarkRequest) => void,
  ) {
    super({ hostName: name, throughput: (v) => 1000 + (v.batching.maxNumSeqs ?? 0) });
  }
  override async facts(): Promise<HostFacts> {
    return { ...(await super.facts()), gpus: [0, 1, 2, 3].map((index) => ({ index, name: this.gpu, memoryTotalMiB: 81920 })) };
  }
  override async benchmark(request: BenchmarkRequest): Promise<BenchmarkOutcome> {
    assert.equal(this.running.size, 1, `${this.name} runs one engine at a time`);
    FakeHost.active++;
    FakeHost.maxActive = Math.max(FakeHost.maxActive, FakeHost.active);
    try {
      await sleep(30);
      this.onBenchmark?.(this, request);
      if (this.down) throw new Error(`ssh ${this.name}: connection lost`);
      return await super.benchmark(request);
    } finally {
      FakeHost.active--;
    }
  }
  override async stop(session: EngineSession): Promise<void> {
    if (this.down) throw new Error(`ssh ${this.name}: connection refused`);
    await super.stop(session);
  }
  async reachable(): Promise<boolean> {
    return !this.down;
  }
  async close(): Promise<void> {}
}

function sixOptionPlan(extra: Partial<TuningPlanInput> = {}): TuningPlan {
  return TuningPlan.parse({
    name: 'pool',
    model: 'zai-org/GLM-4.5-Air',
    baseline: { engine: 'vllm', parallel: { tp: 4 } },
    stages: [{ name: 'Batching', kind: 'batching', options: [64, 128, 256, 512, 768, 1024].map((n) => ({ name: `seqs ${n}`, patch: { batching: { maxNumSeqs: n } } })) }],
    workloads: { primary: { preset: 'sharegpt', numPrompts: 10 } },
    ...extra,
  });
}

let lastStore = openResultsStore(tempDir('sl-pool-'));
const run = (plan: TuningPlan, backend: PoolBackend) => {
  lastStore = openResultsStore(tempDir('sl-pool-'));
  return runExperiment({ plan, backend, store: lastStore, signal: new AbortController().signal, parseCommand: parseServeCommand, notes: backend.notes });
};

test('a pool of three measures a stage three options at a time, one engine per host, each result naming its host', async () => {
  FakeHost.maxActive = 0;
  const hosts = ['gpu1', 'gpu2', 'gpu3'].map((n) => new FakeHost(n));
  const pool = new PoolBackend(hosts.map((h) => ({ name: h.name, backend: h })));
  const x = await run(sixOptionPlan(), pool);
  assert.equal(x.status, 'completed');
  assert.equal(x.host.name, 'gpu1+gpu2+gpu3');
  assert.equal(FakeHost.maxActive, 3, 'three hosts measured at once');
  assert.equal(x.stages[0]!.decision!.winner, 'seqs 1024');
  assert.ok(hosts.every((h) => h.launches.length >= 1), `every host got work: ${hosts.map((h) => h.launches.length)}`);
  assert.ok(hosts.every((h) => h.running.size === 0), 'no engine left');
  const { results } = await lastStore.listResults();
  const hostOf = (notes: string[]) => notes.find((n) => n.startsWith('measured on pool host '))?.slice('measured on pool host '.length);
  assert.deepEqual(new Set(results.map((r) => hostOf(r.notes))), new Set(['gpu1', 'gpu2', 'gpu3']));
});

test('a host with a different GPU model is refused, naming each host; allowMixed labels the results instead', async () => {
  const make = () => [new FakeHost('gpu1'), new FakeHost('gpu2'), new FakeHost('h1', 'NVIDIA H100 80GB HBM3')];
  const refused = new PoolBackend(make().map((h) => ({ name: h.name, backend: h })));
  await assert.rejects(run(sixOptionPlan(), refused), (err: Error) => /not comparable/.test(err.message) && /h1: 4× NVIDIA H100/.test(err.message) && /allowMixed: true/.test(err.message));
  const hosts = make();
  const mixed = new PoolBackend(hosts.map((h) => ({ name: h.name, backend: h })), { allowMixed: true });
  const x = await run(sixOptionPlan({ allowMixed: true }), mixed);
  assert.equal(x.status, 'completed');
  assert.ok(x.notes.some((n) => /MIXED/.test(n) && /H100/.test(n)), x.notes.join('\n'));
});

test('a host that stops answering mid-plan loses only its running point, which another host measures', async () => {
  let killed = false;
  const hosts = ['gpu1', 'gpu2', 'gpu3'].map(
    (n) =>
      new FakeHost(n, undefined, (host, request) => {
        if (host.name === 'gpu2' && !killed && request.position.option.startsWith('seqs')) {
          killed = true;
          host.down = true;
        }
      }),
  );
  const dir = tempDir('sl-pool-');
  const pool = new PoolBackend(hosts.map((h) => ({ name: h.name, backend: h })));
  const store = openResultsStore(dir);
  const x = await runExperiment({ plan: sixOptionPlan(), backend: pool, store, signal: new AbortController().signal, parseCommand: parseServeCommand, notes: pool.notes });
  assert.equal(x.status, 'completed');
  assert.ok(killed);
  const options = x.stages[0]!.options.filter((o) => !o.incumbent);
  assert.deepEqual(options.map((o) => o.outcome!.kind), Array(6).fill('measured'), 'every option measured, none lost');
  assert.ok(x.notes.some((n) => /gpu2 stopped answering.*measured again/.test(n)), x.notes.join('\n'));
  assert.equal(pool.parallelism, 2, 'the lost host takes no more points');
  const { results } = await store.listResults();
  assert.equal(results.filter((r) => r.experimentId === x.id).length, 7, 'baseline + six options');
  const lostOption = /^Batching \/ (.*?): host gpu2/.exec(x.notes.find((n) => n.includes('gpu2 stopped answering'))!)![1]!;
  const result = results.find((r) => r.option === lostOption)!;
  assert.ok(result.notes.some((n) => /measured on pool host gpu[13]$/.test(n)), `${lostOption} was measured again elsewhere: ${result.notes.join('; ')}`);
});

test('a point whose place went away is measured again once; a second loss is its crash', async () => {
  const lose = (times: number) => {
    let left = times;
    return new (class extends FakeHost {
      override async benchmark(request: BenchmarkRequest): Promise<BenchmarkOutcome> {
        if (request.position.option === 'seqs 256' && left-- > 0) throw new EngineCrashedError({ reason: 'place-lost', rootCause: 'Slurm ended job 12 with TIMEOUT (time limit 00:01:00)', logExcerpt: [] });
        return super.benchmark(request);
      }
    })('cluster');
  };
  const once = await run(sixOptionPlan(), new PoolBackend([{ name: 'cluster', backend: lose(1) }]));
  const o1 = once.stages[0]!.options.find((o) => o.name === 'seqs 256')!;
  assert.equal(o1.outcome!.kind, 'measured');
  assert.ok(once.notes.some((n) => /TIMEOUT.*measured again/.test(n)), once.notes.join('\n'));
  const twice = await run(sixOptionPlan(), new PoolBackend([{ name: 'cluster', backend: lose(2) }]));
  const o2 = twice.stages[0]!.options.find((o) => o.name === 'seqs 256')!;
  assert.equal(o2.outcome!.kind, 'crashed');
  assert.equal(o2.outcome!.kind === 'crashed' ? o2.outcome!.crash.reason : '', 'place-lost');
});

test("every event of a pool's point names its host, so a UI can show a lane per host; a host going down says so", async () => {
  let killed = false;
  const hosts = ['gpu1', 'gpu2', 'gpu3'].map(
    (n) =>
      new FakeHost(n, undefined, (host, request) => {
        if (host.name === 'gpu2' && !killed && request.position.option.startsWith('seqs')) host.down = killed = true;
      }),
  );
  const pool = new PoolBackend(hosts.map((h) => ({ name: h.name, backend: h })));
  const events: Array<{ kind: string; host?: string; option?: string; detail?: string }> = [];
  const saved: Array<{ positionHost?: string; resultHost?: string }> = [];
  const observer: RunObserver = {
    engine: (e) => events.push({ kind: e.state, option: e.option, ...(e.place ? { host: e.place.host } : {}), ...(e.state === 'crashed' ? { detail: e.crash.reason } : {}) }),
    point: (p) => events.push({ kind: 'point', option: p.option, ...(p.place ? { host: p.place.host } : {}) }),
    sample: (_s, place) => events.push({ kind: 'sample', ...(place ? { host: place.host } : {}) }),
    resultSaved: (r, p) => saved.push({ ...(p.place ? { positionHost: p.place.host } : {}), ...(r.place ? { resultHost: r.place.host } : {}) }),
  };
  lastStore = openResultsStore(tempDir('sl-pool-'));
  const x = await runExperiment({ plan: sixOptionPlan(), backend: pool, store: lastStore, observer, signal: new AbortController().signal, parseCommand: parseServeCommand, notes: pool.notes });
  assert.equal(x.status, 'completed');
  // Only the launch itself comes before the pool picked a host.
  assert.deepEqual(events.filter((e) => e.host === undefined).map((e) => e.kind), Array(events.filter((e) => e.kind === 'launching').length).fill('launching'));
  assert.ok(events.some((e) => e.kind === 'sample'), 'the fake hosts send live samples');
  assert.deepEqual(new Set(events.filter((e) => e.kind === 'placed').map((e) => e.host)), new Set(['gpu1', 'gpu2', 'gpu3']));
  // A point's events all name the host that took its launch.
  const placedOn = new Map(events.filter((e) => e.kind === 'placed').map((e) => [e.option, e.host]));
  for (const e of events.filter((e) => e.kind === 'point')) if (e.option !== events.find((d) => d.kind === 'crashed')?.option) assert.equal(e.host, placedOn.get(e.option), `${e.option}`);
  assert.ok(saved.length >= 7 && saved.every((s) => s.positionHost !== undefined && s.positionHost === s.resultHost), JSON.stringify(saved));
  const crash = events.find((e) => e.kind === 'crashed');
  assert.deepEqual(crash && { host: crash.host, reason: crash.detail }, { host: 'gpu2', reason: 'place-lost' });
});
