// Find Capacity under SLO: the single-variant form of a tuning plan's capacity search (issue 13). Host, variant and
// workload come from the same pickers as Benchmark GLM config; the SLO (p99 TTFT, p99 TPOT, minimum success) is
// asked for and remembered. The plan it builds — the variant as baseline, `load: {capacity: …}`, objective
// `slo_capacity` — runs through the same experiment runner as `serving-lab tune`, so the dashboard draws the curve as
// it builds and the result is stored like any experiment's.
import * as vscode from 'vscode';
import type { CapacitySlo, Experiment, LoadAxis, TuningPlan, WorkloadSpec } from '../../core/plan/schema';
import type { Lab } from '../lab';
import { describeVariant, LAST_COMMAND_KEY, pickHost, pickVariant, pickWorkload, workloadFromText } from './pickers';
import type { RunCommands } from './run';

/** Arguments that skip the prompts (tests, links). */
export interface CapacityArgs {
  host?: string;
  command?: string;
  workload?: string | WorkloadSpec;
  slo?: SloAnswer;
  by?: LoadAxis;
  /** Seconds of warm-up and of steady-state window per point (default: the plan schema's 15 and 60). */
  point?: { warmup_s: number; window_s: number };
  /** How narrow the bracket gets before the search stops ("5%" by default). */
  tolerance?: string;
  runner?: TuningPlan['runner'];
  noDashboard?: boolean;
}

export interface SloAnswer {
  p99TtftMs?: number;
  p99TpotMs?: number;
  /** 0..1. */
  minSuccess?: number;
}

const SLO_KEY = 'servingLab.capacitySlo';
const DEFAULT_SLO: SloAnswer = { p99TtftMs: 3000, p99TpotMs: 100, minSuccess: 0.99 };
const STEPS = (n: number) => `Find Capacity under SLO (${n}/4)`;

/** The SLO as the plan schema spells it; an error names what is missing. */
export function sloOf(answer: SloAnswer): CapacitySlo {
  if (answer.p99TtftMs === undefined && answer.p99TpotMs === undefined) throw new Error('the SLO needs a p99 TTFT or a p99 TPOT limit');
  return {
    ...(answer.p99TtftMs !== undefined ? { p99_ttft_ms: answer.p99TtftMs } : {}),
    ...(answer.p99TpotMs !== undefined ? { p99_tpot_ms: answer.p99TpotMs } : {}),
    min_success: answer.minSuccess ?? 0.99,
  };
}

/** A positive number, an empty answer (no limit), or why not. */
function limitProblem(text: string, optional: boolean, max = Infinity): string | undefined {
  if (!text.trim()) return optional ? undefined : 'enter a number';
  const n = Number(text);
  return Number.isFinite(n) && n > 0 && n <= max ? undefined : `enter a positive number${max < Infinity ? ` up to ${max}` : ''}${optional ? ', or leave it empty for no limit' : ''}`;
}

export class CapacityCommands {
  constructor(
    private readonly lab: Lab,
    private readonly runs: RunCommands,
  ) {}

  async find(args: CapacityArgs = {}): Promise<Experiment | undefined> {
    if (!this.runs.requireTrust('Find Capacity under SLO')) return undefined;
    const host = args.host ?? (await pickHost(this.lab, STEPS(1)));
    if (!host) return undefined;
    const command = args.command ?? (await pickVariant(this.lab, STEPS(2)));
    if (!command) return undefined;
    const { parseServeCommand } = await import('../../core/engines/index');
    const variant = parseServeCommand(command);
    const workload = args.workload === undefined ? await pickWorkload(this.lab, STEPS(3)) : typeof args.workload === 'string' ? await workloadFromText(args.workload) : args.workload;
    if (workload === undefined) return undefined;
    const answer = args.slo ?? (await this.askSlo());
    if (!answer) return undefined;
    const slo = sloOf(answer);
    await this.lab.context.globalState.update(LAST_COMMAND_KEY, command);
    await this.lab.context.globalState.update(SLO_KEY, answer);
    const { TuningPlan } = await import('../../core/plan/schema');
    const { resolveWorkload } = await import('../../core/plan/presets');
    const { sloText } = await import('../../core/results/curves');
    const plan = TuningPlan.parse({
      name: `Capacity of ${describeVariant(variant)} — ${resolveWorkload(workload).name}`,
      description: `The most requests per second within ${sloText(slo)}.`,
      host,
      model: variant.model,
      baseline: { command },
      workloads: { primary: workload },
      load: { capacity: { slo, by: args.by ?? 'request_rate', ...(args.tolerance ? { tolerance: args.tolerance } : {}), ...(args.point ? { point: args.point } : {}) } },
      objective: 'slo_capacity',
      // The native client reports every request, so each point's metrics come from its steady-state window.
      runner: args.runner ?? 'native',
    });
    return this.runs.run(plan, {
      kind: 'benchmark',
      title: `Capacity of ${describeVariant(variant)}`,
      openDashboard: !args.noDashboard,
      outcome: (x) => {
        const curve = x.curves[0];
        if (!curve) return undefined;
        return curve.capacity ? `${curve.capacity.requestRate.toFixed(2)} req/s within the SLO (${curve.capacity.perGpu.toFixed(2)} per GPU)${curve.breaksAt ? `; ${curve.breaksAt.limit} breaks first` : ''}.` : 'no load tried met the SLO.';
      },
    });
  }

  /** p99 TTFT, p99 TPOT and minimum success, each pre-filled with the last answer. */
  private async askSlo(): Promise<SloAnswer | undefined> {
    const last = this.lab.context.globalState.get<SloAnswer>(SLO_KEY) ?? DEFAULT_SLO;
    const ask = async (prompt: string, value: number | undefined, optional: boolean, max?: number) => {
      const text = await vscode.window.showInputBox({
        title: `${STEPS(4)}: SLO`,
        prompt,
        value: value === undefined ? '' : String(value),
        ignoreFocusOut: true,
        validateInput: (t) => limitProblem(t, optional, max),
      });
      return text === undefined ? null : text.trim() ? Number(text) : undefined;
    };
    const ttft = await ask('p99 TTFT limit in ms (empty: no limit)', last.p99TtftMs, true);
    if (ttft === null) return undefined;
    const tpot = await ask('p99 TPOT limit in ms (empty: no limit)', last.p99TpotMs, true);
    if (tpot === null) return undefined;
    if (ttft === undefined && tpot === undefined) {
      void vscode.window.showErrorMessage('Serving Lab: the SLO needs a p99 TTFT or a p99 TPOT limit; run Find Capacity under SLO again and give one.');
      return undefined;
    }
    const success = await ask('Minimum share of requests that succeed, in percent', (last.minSuccess ?? 0.99) * 100, false, 100);
    if (success === null || success === undefined) return undefined;
    return { ...(ttft !== undefined ? { p99TtftMs: ttft } : {}), ...(tpot !== undefined ? { p99TpotMs: tpot } : {}), minSuccess: success / 100 };
  }
}
