// A results store that keeps everything in memory: dry runs use it, so a prediction never lands in the user's store.
import { BenchmarkResult, Experiment } from '../plan/schema';
import { StoreError, type ResultsStore } from './store';

export function openMemoryStore(): ResultsStore {
  const results = new Map<string, BenchmarkResult>();
  const experiments = new Map<string, Experiment>();
  const get = <T>(map: Map<string, T>, id: string, kind: string): T => {
    const item = map.get(id);
    if (!item) throw new StoreError(`no ${kind} "${id}" in memory`, id, 'not-found');
    return structuredClone(item);
  };
  return {
    root: ':memory:',
    async saveResult(r) {
      results.set(r.id, BenchmarkResult.parse(structuredClone(r)));
    },
    async loadResult(id) {
      return get(results, id, 'result');
    },
    async listResults() {
      return { results: [...results.values()].map((r) => structuredClone(r)).sort((a, b) => a.createdAt.localeCompare(b.createdAt)), problems: [] };
    },
    async deleteResult(id) {
      results.delete(id);
    },
    async saveExperiment(x) {
      experiments.set(x.id, Experiment.parse(structuredClone(x)));
    },
    async loadExperiment(id) {
      return get(experiments, id, 'experiment');
    },
    async listExperiments() {
      return { experiments: [...experiments.values()].map((x) => structuredClone(x)), problems: [] };
    },
    async deleteExperiment(id) {
      experiments.delete(id);
    },
    resultPath: (id) => `:memory:/results/${id}`,
    experimentPath: (id) => `:memory:/experiments/${id}`,
    watch: () => ({ dispose() {} }),
  };
}
