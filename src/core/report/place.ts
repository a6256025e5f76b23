// Where each result was measured, for experiments that ran on more than one host (a pool, a Slurm cluster's nodes)
// or beside another engine on shared GPUs: the report then names the place next to each result.
import type { BenchmarkResult } from '../plan/schema';

/** "gpu2", "cluster node n1, job 12", with "(shared GPUs)" when another engine ran beside it. */
export function placeLabel(place: NonNullable<BenchmarkResult['place']>): string {
  const slurm = [place.node ? `node ${place.node}` : '', place.job ? `job ${place.job}` : ''].filter(Boolean).join(', ');
  return `${place.host}${slurm ? ` ${slurm}` : ''}${place.sharedGpus ? ' (shared GPUs)' : ''}`;
}

/** True when the results come from more than one host or node, or some shared their host's GPUs. */
export function showsPlaces(results: readonly BenchmarkResult[]): boolean {
  const machines = new Set(results.map((r) => (r.place ? `${r.place.host}\n${r.place.node ?? ''}` : '')));
  return machines.size > 1 || results.some((r) => r.place?.sharedGpus === true);
}
