// Calibration cases: measured benchmark results (test/fixtures/sim-calibration.json), each run once through the
// simulator with its schedule recorded. Because every case sends all requests at once, the schedule does not
// depend on step durations, so `evaluateCase` re-times the recorded steps with any efficiencies exactly — the fit
// tries thousands of parameter sets in seconds instead of re-simulating.
import { readFileSync } from 'node:fs';
import { parseServingScript } from '../../engines/script';
import { perfConfig } from '../config';
import { combineStepCost, stepCost, type EngineEfficiency, type StepCost } from '../perf';
import { predictBenchmark } from '../predict';
import type { SimTrace } from '../virtual';
import type { FittedEngine } from './fitted';

export interface Measured {
  /** Total token throughput (tok/s). */
  tput: number;
  /** Mean TTFT (ms). */
  ttft: number;
  /** Mean TPOT (ms). */
  tpot: number;
}

export interface CalibrationCase {
  id: string;
  page: string;
  section: string;
  gpu: string;
  count: number;
  serve: string;
  workload: string;
  maxConcurrency?: number;
  measured?: Measured;
  /** The page's crash note (no benchmark ran). */
  crash?: string;
  /** Why the case is left out of the fit (copied results, mismatched command). */
  skip?: string;
}

export interface TracedCase {
  case: CalibrationCase;
  engine: FittedEngine;
  costs: Array<StepCost | undefined>;
  tokenSteps: number[][];
  startSteps: number[];
  totalTokens: number;
}

export function loadCalibrationCases(path: string): CalibrationCase[] {
  return (JSON.parse(readFileSync(path, 'utf8')) as { cases: CalibrationCase[] }).cases;
}

/** A serving script as pages print it (comments, continuations, env prefixes): the serve command's argv. */
export const serveArgv = (script: string): string[] => parseServingScript(script).argv;

/** Runs a case once with its schedule recorded; a crash is returned as its root cause. */
export function traceCase(c: CalibrationCase): TracedCase | { case: CalibrationCase; crash: string } {
  const trace: SimTrace = { steps: [], tokenSteps: [], startSteps: [] };
  const [, , , n] = c.workload.split(':');
  const count = Number(c.workload.startsWith('sharegpt') ? c.workload.split(':')[1] : n);
  trace.tokenSteps = Array.from({ length: count }, () => []);
  trace.startSteps = new Array<number>(count).fill(0);
  const script = parseServingScript(c.serve);
  const p = predictBenchmark({ gpu: c.gpu, count: c.count, argv: script.argv, env: script.env, workload: c.workload, trace, ...(c.maxConcurrency ? { maxConcurrency: c.maxConcurrency } : {}) });
  if (!p.config || !p.metrics) return { case: c, crash: p.crash?.rootCause ?? 'no result' };
  const perf = perfConfig(p.config);
  return {
    case: c,
    engine: p.config.engine,
    costs: trace.steps.map((shape) => stepCost(perf, shape)),
    tokenSteps: trace.tokenSteps,
    startSteps: trace.startSteps,
    totalTokens: p.metrics.total_input_tokens + p.metrics.total_output_tokens,
  };
}

/** Throughput and mean TTFT/TPOT of a traced case re-timed with `efficiency` (the bench client's definitions). */
export function evaluateCase(t: TracedCase, efficiency: EngineEfficiency): Measured {
  const end = new Float64Array(t.costs.length + 1);
  for (let k = 0; k < t.costs.length; k++) {
    const cost = t.costs[k];
    end[k + 1] = end[k]! + (cost ? combineStepCost(cost, efficiency) : 0);
  }
  let ttftSum = 0;
  let ttftCount = 0;
  let tpotSum = 0;
  let tpotCount = 0;
  let duration = 0;
  for (let i = 0; i < t.tokenSteps.length; i++) {
    const steps = t.tokenSteps[i]!;
    if (steps.length === 0) continue;
    const start = end[t.startSteps[i]!]!;
    const first = end[steps[0]! + 1]!;
    const last = end[steps[steps.length - 1]! + 1]!;
    ttftSum += first - start;
    ttftCount += 1;
    if (steps.length > 1) {
      tpotSum += (last - first) / (steps.length - 1);
      tpotCount += 1;
    }
    duration = Math.max(duration, last);
  }
  return { tput: t.totalTokens / duration, ttft: (ttftSum / Math.max(1, ttftCount)) * 1000, tpot: (tpotSum / Math.max(1, tpotCount)) * 1000 };
}
