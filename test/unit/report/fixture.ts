// The reference study as stored data: test/fixtures/report/store (an Experiment and its 14 BenchmarkResults, with
// the reference page's own numbers and printed blocks), read and validated with the data model's zod schemas.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchmarkResult, Experiment } from '../../../src/core/plan/schema';

export const FIXTURE_STORE = 'test/fixtures/report/store';
export const FIXTURE_EXPERIMENT_ID = 'x-20251106-091500-glm45a';
export const GOLDEN_DIR = 'test/fixtures/report/golden';
export const CHART_LINK = `assets/${FIXTURE_EXPERIMENT_ID}-throughput.svg`;

export function loadFixture(): { experiment: Experiment; results: Map<string, BenchmarkResult> } {
  const experiment = Experiment.parse(JSON.parse(readFileSync(join(FIXTURE_STORE, 'experiments', `${FIXTURE_EXPERIMENT_ID}.json`), 'utf8')));
  const results = new Map<string, BenchmarkResult>();
  for (const name of readdirSync(join(FIXTURE_STORE, 'results'))) {
    const result = BenchmarkResult.parse(JSON.parse(readFileSync(join(FIXTURE_STORE, 'results', name), 'utf8')));
    results.set(result.id, result);
  }
  return { experiment, results };
}
