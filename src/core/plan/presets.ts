// The reference study's five workloads (GPUStack performance lab, GLM-4.5-Air on 4×A100).
import { Workload, type WorkloadSpec } from './schema';

export const WORKLOAD_PRESETS: Readonly<Record<string, Workload>> = {
  sharegpt: Workload.parse({ name: 'ShareGPT', dataset: { kind: 'sharegpt' }, numPrompts: 1000 }),
  'very-long-prompt': Workload.parse({
    name: 'Very Long Prompt',
    dataset: { kind: 'random', inputLen: 32000, outputLen: 100 },
    numPrompts: 100,
    seed: 42,
  }),
  'long-prompt': Workload.parse({
    name: 'Long Prompt',
    dataset: { kind: 'random', inputLen: 4000, outputLen: 200 },
    numPrompts: 500,
    seed: 42,
  }),
  'medium-prompt': Workload.parse({
    name: 'Medium Prompt',
    dataset: { kind: 'random', inputLen: 2000, outputLen: 100 },
    numPrompts: 500,
    seed: 42,
  }),
  'short-prompt': Workload.parse({
    name: 'Short Prompt',
    dataset: { kind: 'random', inputLen: 128, outputLen: 4 },
    numPrompts: 1000,
    seed: 42,
  }),
};

export class UnknownPresetError extends Error {
  constructor(readonly preset: string) {
    super(`unknown workload preset "${preset}"; known presets: ${Object.keys(WORKLOAD_PRESETS).join(', ')}`);
  }
}

/** Turns what a plan says about a workload into a complete Workload. */
export function resolveWorkload(spec: WorkloadSpec): Workload {
  if (typeof spec === 'string') {
    const preset = WORKLOAD_PRESETS[spec];
    if (!preset) throw new UnknownPresetError(spec);
    return preset;
  }
  // The load plan says how to drive the workload, not what it is: the load module reads it (workloadLoad).
  const { preset: presetId, load: _load, ...overrides } = spec;
  const base = presetId === undefined ? undefined : WORKLOAD_PRESETS[presetId];
  if (presetId !== undefined && !base) throw new UnknownPresetError(presetId);
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const merged = Workload.partial().parse({ ...base, ...defined });
  return Workload.parse({ ...merged, name: merged.name ?? describeDataset(merged.dataset!, merged.numPrompts!) });
}

export function describeDataset(dataset: Workload['dataset'], numPrompts: number): string {
  switch (dataset.kind) {
    case 'sharegpt':
      return `ShareGPT ×${numPrompts}`;
    case 'random':
      return `random ${dataset.inputLen}/${dataset.outputLen} ×${numPrompts}`;
    case 'replay':
      return `replay ×${numPrompts}`;
  }
}
