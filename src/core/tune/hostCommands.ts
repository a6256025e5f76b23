// The commands a host runs, as the tune backend launches them and as dry runs and reports show them: the engine's
// launch command (without what the runner adds at launch) and the benchmark client's command for the plan's runner.
import { ADAPTERS, commandLineOf, renderVariant } from '../engines/index';
import type { EngineVariant, HostSpec, Objective, Runner, Workload } from '../plan/schema';
import { shellJoin } from '../shell';
import { SYNTHETIC_SHAREGPT_FILE } from '../sim/sharegpt';
import type { CommandRenderer } from './predict';
import { nativeBenchArgv, sglangBenchArgv, vllmBenchArgv, type BenchTarget } from './runners';

/** The plan's goodput SLO, passed to the clients that take one. */
export type Goodput = NonNullable<Extract<Objective, object>['slo']>;

/** Strips what the runner adds at launch (bind address, port, SGLang's --enable-metrics) from a displayed command. */
function userArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i]!;
    if (w === '--host' || w === '--port') {
      i++;
      continue;
    }
    if (w === '--enable-metrics') continue;
    out.push(w);
  }
  return out;
}

/** Renders commands for a host without connecting (dry runs). */
export function commandRenderer(host: HostSpec, runner: Runner, goodput?: Goodput): CommandRenderer {
  const target = (variant: EngineVariant): BenchTarget => ({
    model: variant.model,
    ...(variant.servedModelName ? { servedModelName: variant.servedModelName } : {}),
    port: ADAPTERS[variant.engine].defaultPort,
    sharegptPath: `${host.workDir}/datasets/${SYNTHETIC_SHAREGPT_FILE}`,
    resultDir: `${host.workDir}/bench`,
    resultFile: 'RESULT.json',
    ...(goodput ? { goodput } : {}),
  });
  return {
    runner,
    launchCommand(variant) {
      const rendered = renderVariant(variant, { port: ADAPTERS[variant.engine].defaultPort, install: host.engines[variant.engine] });
      return commandLineOf(userArgv(rendered.argv), rendered.env);
    },
    benchCommand(variant, workload) {
      return shellJoin(benchArgv(runner, workload, target(variant), host, ['node', `${host.workDir}/serving-lab-cli.js`]).argv);
    },
  };
}

export function benchArgv(runner: Runner, w: Workload, t: BenchTarget, host: HostSpec, nodeCli: readonly string[]): { argv: string[]; notes: string[] } {
  if (runner === 'sglang-bench') return sglangBenchArgv(w, t, host.engines.sglang?.command ?? 'python3');
  if (runner === 'native') return { argv: nativeBenchArgv(w, t, nodeCli), notes: [] };
  return { argv: vllmBenchArgv(w, t, host.engines.vllm?.command ?? 'vllm'), notes: [] };
}
