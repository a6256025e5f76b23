import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { planJsonSchema, planJsonSchemaText } from '../../../src/core/plan/jsonSchema';

test('the committed media/plan.schema.json is up to date (regenerate with `npm run schema`)', () => {
  assert.equal(readFileSync('media/plan.schema.json', 'utf8'), planJsonSchemaText());
});

test('the plan schema is draft-7 and knows the plan keys and engines', () => {
  const schema = planJsonSchema() as { $schema: string; properties: Record<string, unknown>; required: string[] };
  assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  assert.deepEqual(schema.required.sort(), ['baseline', 'model', 'name', 'workloads']);
  for (const key of ['stages', 'workloads', 'objective', 'repeats', 'runner', 'strategy', 'budget']) assert.ok(key in schema.properties, key);
  assert.match(JSON.stringify(schema), /"enum":\["vllm","sglang","trtllm"\]/);
});

test('the manifest contributes the schema for *.plan.json and *.plan.yaml', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  assert.deepEqual(pkg.contributes.jsonValidation, [{ fileMatch: '*.plan.json', url: './media/plan.schema.json' }]);
  assert.deepEqual(pkg.contributes.yamlValidation, [{ fileMatch: '*.plan.yaml', url: './media/plan.schema.json' }]);
});
