// The plan's JSON Schema (draft-7: VS Code's JSON service supports it fully), derived from the zod schema so the
// editor and the runner never disagree.
import { z } from 'zod';
import { TuningPlan } from './schema';
import { WORKLOAD_PRESETS } from './presets';

export const PLAN_SCHEMA_ID = 'https://serving-lab.dev/schemas/plan.schema.json';

export function planJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(TuningPlan, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    ...schema,
    $id: PLAN_SCHEMA_ID,
    title: 'Serving Lab tuning plan',
    description: `A Serving Lab tuning plan (*.plan.yaml / *.plan.json). Workload presets: ${Object.keys(WORKLOAD_PRESETS).join(', ')}.`,
  };
}

export function planJsonSchemaText(): string {
  return `${JSON.stringify(planJsonSchema(), null, 2)}\n`;
}
