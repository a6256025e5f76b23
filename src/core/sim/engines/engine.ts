// What each simulated engine provides: its command line and launch, its limits on a request, its scheduler and
// the HTTP routes only it has (/metrics in its own names, SGLang's /get_server_info, …).
import type { OptionSpec } from '../argparse';
import type { SimEngineConfig, SimEngineKind } from '../config';
import type { RealtimeEngine } from '../realtime';
import type { BatchScheduler, SchedulerOptions } from '../scheduler';
import type { LaunchPlan, PlanOptions, SimHost } from './launch';

/** A route's answer: JSON, or text with its content type. */
export type RouteResponse = { status: number; json: unknown } | { status: number; text: string; contentType: string };

export interface RouteContext {
  config: SimEngineConfig;
  engine: RealtimeEngine;
  /** False until the engine's own ready moment. */
  ready: boolean;
  /** Server start (s since the epoch): the `_created` of counters. */
  created: number;
  /** What every answer about the model carries: this is a simulated host. */
  simulatedMeta: Record<string, unknown>;
}

export interface SimEngine {
  kind: SimEngineKind;
  usage: string;
  options: readonly OptionSpec[];
  plan(argv: readonly string[], host: SimHost, options: PlanOptions): LaunchPlan;
  /** Why the engine refuses a request of this size (its own HTTP 400 message), or undefined. */
  requestError(config: SimEngineConfig, promptLen: number, maxTokens: number | undefined, kvCapacityTokens: number): string | undefined;
  scheduler(config: SimEngineConfig, kvCapacityTokens: number): BatchScheduler;
  /** Routes only this engine serves, by `METHOD /path`; undefined = not this engine's. */
  route(route: string, ctx: RouteContext): RouteResponse | undefined;
}

/** Scheduler options vLLM and SGLang take alike from their config: prefix caching, block size, policy, speculation. */
export function cacheAndPolicyOptions(config: SimEngineConfig): SchedulerOptions {
  return { prefixCaching: config.prefixCaching, blockSize: config.blockSize, policy: config.schedulePolicy, ...(config.speculative ? { speculative: config.speculative } : {}) };
}
