// A simulated host's hidden profile (issue 14): how this host deviates from the simulator's defaults — slower or
// faster memory, memory taken by something else, a different per-step overhead for one engine, run-to-run noise, a
// flag that crashes on this host only. Given as `sim:GPU:COUNT?profile=FILE`; it is applied where the simulated
// engines are planned, and nothing that predicts (the predicted search, `tune --dry-run`, `sim predict`) reads it,
// so a search tested on such a host has something to learn.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { formatProblem, parseYamlAs } from '../plan/load';
import { SeededRandom } from '../bench/random';
import { FITTED_EFFICIENCY } from './calibration/fitted';
import type { SimEngineConfig, SimEngineKind } from './config';
import type { LaunchPlan } from './engines/launch';
import type { GpuSpec } from './gpus';

const ENGINES = ['vllm', 'sglang', 'trtllm'] as const;

const HostCrash = z.strictObject({
  /** Only this engine crashes (default: any). */
  engine: z.enum(ENGINES).optional(),
  /** Serve-command arguments that crash, in order, e.g. "--kv-cache-dtype fp8". */
  args: z.string().min(1, { error: 'expected the arguments that crash, e.g. "--kv-cache-dtype fp8"' }),
  /** The root-cause line the engine prints before it exits. */
  log: z.string().default('RuntimeError: CUDA error: an illegal memory access was encountered'),
});

export const HostProfile = z.strictObject({
  /** HBM bandwidth relative to the datasheet (0.8 = 20% slower memory). */
  memoryBandwidth: z.number().gt(0).max(4).default(1),
  /** GiB per GPU taken before any engine starts (another process, ECC, a MIG reservation). */
  reservedGiB: z.number().min(0).default(0),
  /** Seconds added to an engine's per-step overhead, e.g. {sglang: 0.004}. */
  stepOverheadS: z.partialRecord(z.enum(ENGINES), z.number().min(-0.01).max(1)).default({}),
  /** Run-to-run noise: each launch runs this many percent (one standard deviation) faster or slower. */
  noisePct: z.number().min(0).max(50).default(0),
  /** Seed of the noise; each launch draws the next factor. */
  seed: z.number().int().default(1),
  crashes: z.array(HostCrash).default([]),
});
export type HostProfile = z.infer<typeof HostProfile>;
export type HostProfileInput = z.input<typeof HostProfile>;

export class HostProfileError extends Error {}

export function loadHostProfile(file: string): HostProfile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new HostProfileError(`cannot read the simulated host profile ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const parsed = parseYamlAs(HostProfile, text, file, {
    noun: 'simulated host profile',
    expected: 'a host profile: memoryBandwidth, reservedGiB, stepOverheadS, noisePct, seed, crashes',
  });
  if (!parsed.ok) throw new HostProfileError(parsed.problems.map(formatProblem).join('\n'));
  return parsed.data;
}

/** The GPU as this host has it: its memory bandwidth scaled, the reserved memory no longer usable. */
export function profiledGpu(gpu: GpuSpec, profile: HostProfile): GpuSpec {
  return { ...gpu, hbmBytesPerS: gpu.hbmBytesPerS * profile.memoryBandwidth, usableGiB: gpu.usableGiB - profile.reservedGiB };
}

/** The crash this host has for a command line, if one of its crashes matches. */
export function profiledCrash(profile: HostProfile, engine: SimEngineKind, argv: readonly string[]): string | undefined {
  for (const crash of profile.crashes) {
    if (crash.engine && crash.engine !== engine) continue;
    const wanted = splitEquals(crash.args.trim().split(/\s+/));
    const given = splitEquals(argv);
    if (given.some((_, i) => wanted.every((w, k) => given[i + k] === w))) return crash.log;
  }
  return undefined;
}

/** `--flag=value` as `--flag value`, so both spellings match. */
const splitEquals = (args: readonly string[]): string[] => args.flatMap((a) => (a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a]));

/** Standard normal draws, one per launch, reproducible from the profile's seed and the launch's number. */
function noiseFactor(profile: HostProfile, launch: number): number {
  if (profile.noisePct === 0) return 1;
  const rng = new SeededRandom(profile.seed * 1_000_003 + launch);
  // Box–Muller.
  const u = Math.max(rng.next(), 1e-12);
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
  return Math.max(0.5, 1 + (profile.noisePct / 100) * z);
}

/**
 * The engine's efficiency on this host: its step overhead changed, and every step `factor` slower or faster for
 * this launch (the noise). `launch` numbers the launches; without one, a random launch is drawn.
 */
export function profiledConfig(config: SimEngineConfig, profile: HostProfile, launch = Math.floor(Math.random() * 2 ** 31)): SimEngineConfig {
  const base = FITTED_EFFICIENCY[config.engine];
  const slow = noiseFactor(profile, launch);
  const efficiency = {
    ...base,
    stepOverheadS: (base.stepOverheadS + (profile.stepOverheadS[config.engine] ?? 0)) * slow,
    perSequenceS: base.perSequenceS * slow,
    perNewRequestS: base.perNewRequestS * slow,
    gemmEfficiency: base.gemmEfficiency / slow,
    moeBandwidthEfficiency: base.moeBandwidthEfficiency / slow,
    moeComputeEfficiency: base.moeComputeEfficiency / slow,
    attentionComputeEfficiency: base.attentionComputeEfficiency / slow,
    kvBandwidthEfficiency: base.kvBandwidthEfficiency / slow,
  };
  return { ...config, hostEfficiency: efficiency };
}

/** A launch that loads the model and then dies the way this host makes it: the root-cause line, exit 1. */
export function crashedOnHost(plan: LaunchPlan, log: string): LaunchPlan {
  const ready = plan.events.find((e) => e.kind === 'ready' || e.kind === 'serve');
  const at = ready?.at ?? plan.events.reduce((t, e) => Math.max(t, e.at), 0);
  const before = plan.events.filter((e) => e.kind === 'log' && e.at < at);
  return {
    engine: plan.engine,
    // The config stays: the process plays the events at its speedup.
    ...(plan.config ? { config: plan.config } : {}),
    events: [...before, { at, kind: 'log', stream: 'stderr', text: log }, { at, kind: 'exit', code: 1 }],
    bindFailure: [],
    crash: { rootCause: log, exitCode: 1 },
  };
}
