// Regenerates media/plan.schema.json; a unit test fails when the committed file is stale.
import { writeFileSync } from 'node:fs';
import { planJsonSchemaText } from '../src/core/plan/jsonSchema';

writeFileSync(new URL('../media/plan.schema.json', import.meta.url), planJsonSchemaText());
console.error('wrote media/plan.schema.json');
