// Candidates that launch the same engine configuration (issue 14): a flag set to what the engine would choose anyway
// (`--max-num-seqs 256` where 256 is vLLM's default on this GPU, `--kv-cache-dtype auto`) is a different command line
// but the same server. The simulated engines resolve every flag against the engine's own defaults for the host's GPU
// (sim/engines/**), so two command lines whose resolved configurations are equal are one candidate: it is measured
// once, and the others say which one they are.
import { renderVariant, VariantError } from '../engines/index';
import type { EngineVariant, HostFacts } from '../plan/schema';
import { planLaunch, splitServeCommand } from '../sim/engines/index';
import { findGpu, resolveGpu } from '../sim/gpus';
import type { ModelSpec } from '../sim/models/index';
import { stableJson } from './search';

/** The host as the simulator sees it: its GPUs, and the configs of models its catalog does not know (read from the host). */
export interface LaunchHost {
  gpu: string;
  count: number;
  models?: readonly ModelSpec[];
}

/** The simulator's host for a launch host. */
export const simHostOf = (host: LaunchHost) => ({ gpu: resolveGpu(host.gpu), count: host.count, speedup: 1, ...(host.models ? { models: host.models } : {}) });

/** The simulator's GPU and count for a host, when it knows the GPU (else nothing can be said about its defaults). */
export function launchHostOf(facts: HostFacts, models?: readonly ModelSpec[]): LaunchHost | undefined {
  const gpu = findGpu(facts.gpus[0]?.name ?? '');
  return gpu && facts.gpus.length > 0 ? { gpu: gpu.id, count: facts.gpus.length, ...(models?.length ? { models } : {}) } : undefined;
}

/** A command line's options as "--flag value" groups. */
function optionGroups(args: readonly string[]): string[] {
  const groups: string[] = [];
  for (const a of args) {
    if (a.startsWith('-') || groups.length === 0) groups.push(a);
    else groups[groups.length - 1] += ` ${a}`;
  }
  return groups;
}

interface Launch {
  key: string;
  engine: string;
  groups: string[];
}

/**
 * The configuration the engine would run: its resolved settings, minus the record of which flags were given, plus
 * the options the simulator accepts without modelling (with their values: they may matter on a real host) and the
 * environment. Undefined when the engine would not start (the forecast says why).
 */
function effectiveLaunch(variant: EngineVariant, host: LaunchHost): Launch | undefined {
  let rendered: ReturnType<typeof renderVariant>;
  try {
    rendered = renderVariant(variant, { port: 8000 });
  } catch (err) {
    if (err instanceof VariantError) return undefined;
    throw err;
  }
  const files = new Map(rendered.files.map((f) => [f.path, f.content]));
  const { engine, args } = splitServeCommand(rendered.argv);
  const plan = planLaunch(engine, args, simHostOf(host), { env: variant.env, readFile: (path) => files.get(path) });
  if (!plan.config || plan.crash) return undefined;
  const { nonDefaultArgs: _given, notModelled, ...resolved } = plan.config;
  const groups = optionGroups(args);
  const unmodelled = groups.filter((g) => notModelled.includes(g.split(' ')[0]!.replace(/=.*/, '')));
  return { key: stableJson({ resolved, unmodelled, env: variant.env ?? {} }), engine, groups };
}

export interface SameLaunch<T> {
  candidate: T;
  /** The name of the candidate (or "the baseline") it launches the same as. */
  as: string;
  why: string;
}

/**
 * Keeps the first of each group of candidates that launch the same configuration on `host` (the baseline's own
 * configuration counts as taken); the others come back with which one they equal and the flags that differ.
 */
export function distinctLaunches<T extends { name: string; variant: EngineVariant }>(baseline: EngineVariant, candidates: readonly T[], host: LaunchHost | undefined): { kept: T[]; same: Array<SameLaunch<T>> } {
  if (!host) return { kept: [...candidates], same: [] };
  const seen = new Map<string, { name: string; groups: string[] }>();
  const base = effectiveLaunch(baseline, host);
  if (base) seen.set(base.key, { name: 'the baseline', groups: base.groups });
  const kept: T[] = [];
  const same: Array<SameLaunch<T>> = [];
  for (const c of candidates) {
    const launch = effectiveLaunch(c.variant, host);
    const first = launch ? seen.get(launch.key) : undefined;
    if (!launch || !first || stableJson(c.variant) === stableJson(baseline)) {
      if (launch && !first) seen.set(launch.key, { name: c.name, groups: launch.groups });
      kept.push(c);
      continue;
    }
    const differ = [...launch.groups.filter((g) => !first.groups.includes(g)), ...first.groups.filter((g) => !launch.groups.includes(g))];
    const flags = differ.length > 0 ? differ.join(', ') : 'a different spelling';
    same.push({ candidate: c, as: first.name, why: `launches what ${first.name} launches: ${flags} ${differ.length === 1 ? 'is' : 'are'} ${launch.engine}'s default on ${host.count}× ${host.gpu}` });
  }
  return { kept, same };
}
