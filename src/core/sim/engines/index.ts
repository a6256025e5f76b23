// The simulated engines by name, and the entry points the shims, the server and `sim predict` use.
import type { SimEngineConfig, SimEngineKind } from '../config';
import { memoryPlan } from '../config';
import { crashedOnHost, profiledConfig, profiledCrash, profiledGpu } from '../hostProfile';
import type { BatchScheduler } from '../scheduler';
import type { SimEngine } from './engine';
import type { LaunchEvent, LaunchPlan, PlanOptions, SimHost } from './launch';
import { sglangEngine } from './sglang/index';
import { trtllmEngine } from './trtllm/index';
import { vllmEngine } from './vllm/index';

export const SIM_ENGINES: Readonly<Record<SimEngineKind, SimEngine>> = { vllm: vllmEngine, sglang: sglangEngine, trtllm: trtllmEngine };

/**
 * Plans the launch of `argv` as the engine would run it. `argv` is the engine's own argument list: for vLLM what
 * follows `vllm serve`, for SGLang what follows `-m sglang.launch_server`, for TRT-LLM what follows `trtllm-serve`.
 */
export function planLaunch(engine: SimEngineKind, argv: readonly string[], host: SimHost, options: PlanOptions = {}): LaunchPlan {
  if (argv.includes('--help') || argv.includes('-h')) return helpPlan(SIM_ENGINES[engine]);
  const profile = host.profile;
  if (!profile) return SIM_ENGINES[engine].plan(argv, host, options);
  // A profiled host: the engine sizes itself on the GPU as this host has it, then runs at this host's efficiency.
  const plan = SIM_ENGINES[engine].plan(argv, { ...host, gpu: profiledGpu(host.gpu, profile) }, options);
  if (!plan.config) return plan;
  const crash = profiledCrash(profile, engine, argv);
  if (crash) return crashedOnHost(plan, crash);
  return { ...plan, config: profiledConfig(plan.config, profile, host.launch) };
}

/** One scheduler (one data-parallel replica) of the engine `config` describes. */
export function createScheduler(config: SimEngineConfig): BatchScheduler {
  return SIM_ENGINES[config.engine].scheduler(config, memoryPlan(config).kvCapacityTokens);
}

export class NotAServeCommandError extends Error {}

/** Splits a full serve command line (`vllm serve …`, `python3 -m sglang.launch_server …`, `trtllm-serve …`). */
export function splitServeCommand(argv: readonly string[]): { engine: SimEngineKind; args: string[] } {
  const [head, ...rest] = argv;
  const base = head?.split('/').pop() ?? '';
  if (base === 'vllm' && rest[0] === 'serve') return { engine: 'vllm', args: rest.slice(1) };
  if (/^python(3(\.\d+)?)?$/.test(base) && rest[0] === '-m' && rest[1] === 'sglang.launch_server') return { engine: 'sglang', args: rest.slice(2) };
  if (base === 'trtllm-serve') return { engine: 'trtllm', args: rest[0] === 'serve' ? rest.slice(1) : rest };
  throw new NotAServeCommandError(
    `"${argv.join(' ')}" is not an engine serve command; expected \`vllm serve MODEL …\`, \`python3 -m sglang.launch_server --model-path MODEL …\` or \`trtllm-serve MODEL …\``,
  );
}

/** `--help`: the engine's usage and the options the simulated engine accepts, exit 0. */
function helpPlan(engine: SimEngine): LaunchPlan {
  const lines = [engine.usage, '', engine.kind === 'trtllm' ? 'Options:' : 'options:', '  -h, --help            show this help message and exit'];
  for (const spec of engine.options) {
    const choices = spec.choices ? ` {${spec.choices.join(',')}}` : spec.kind === 'flag' ? '' : ` ${spec.dest.toUpperCase()}`;
    lines.push(`  ${spec.names.join(', ')}${choices}`);
  }
  const events: LaunchEvent[] = [...lines.map((text) => ({ at: 0, kind: 'log' as const, stream: 'stdout' as const, text })), { at: 0, kind: 'exit', code: 0 }];
  return { engine: engine.kind, events, bindFailure: [] };
}

export type { LaunchEvent, LaunchPlan, PlanOptions, SimHost } from './launch';
