// Loads a plan (YAML with comments, or JSON, which YAML 1.2 also parses) and reports every problem with its position.
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { describeInput, TuningPlan } from './schema';
import { UnknownPresetError, WORKLOAD_PRESETS } from './presets';

export interface PlanProblem {
  file: string;
  line: number;
  column: number;
  /** Dotted path into the plan, e.g. "stages[2].options[0].parallel.tp"; empty for the whole file. */
  path: string;
  message: string;
}

export type PlanLoadResult = { ok: true; plan: TuningPlan } | { ok: false; problems: PlanProblem[] };

/** `file:line:col: path: message`, the compiler convention editors and terminals link. */
export function formatProblem(p: PlanProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

export async function loadPlanFile(file: string): Promise<PlanLoadResult> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    return { ok: false, problems: [{ file, line: 1, column: 1, path: '', message: `cannot read plan: ${why}` }] };
  }
  return parsePlan(source, file);
}

export function parsePlan(source: string, file = 'plan.yaml'): PlanLoadResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => lineCounter.linePos(offset);
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const { line, col } = at(e.pos[0]);
        return { file, line, column: col, path: '', message: `${e.code === 'DUPLICATE_KEY' ? 'duplicate key' : 'YAML syntax error'}: ${firstLine(e.message)}` };
      }),
    };
  }
  const data: unknown = doc.toJS();
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { ok: false, problems: [{ file, line: 1, column: 1, path: '', message: `expected a plan mapping (name, model, baseline, stages, workloads…), got ${describeInput(data)}` }] };
  }
  const parsed = TuningPlan.safeParse(data, { reportInput: true });
  const problems: PlanProblem[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(...issueProblems(issue, doc, file, at));
  }
  // Preset ids are checked here, not in the schema, so the JSON Schema stays free of runtime lookups.
  problems.push(...unknownPresets(data as Record<string, unknown>, doc, file, at));
  if (problems.length > 0) return { ok: false, problems: sortProblems(problems) };
  return { ok: true, plan: parsed.data! };
}

function unknownPresets(data: Record<string, unknown>, doc: Document, file: string, at: (o: number) => { line: number; col: number }): PlanProblem[] {
  const workloads = data['workloads'] as Record<string, unknown> | undefined;
  if (!workloads || typeof workloads !== 'object') return [];
  const entries: Array<[PropertyKey[], unknown]> = [[['workloads', 'primary'], workloads['primary']]];
  if (Array.isArray(workloads['generalization'])) {
    workloads['generalization'].forEach((w, i) => entries.push([['workloads', 'generalization', i], w]));
  }
  const problems: PlanProblem[] = [];
  for (const [path, spec] of entries) {
    const isObject = spec !== null && typeof spec === 'object';
    const preset = typeof spec === 'string' ? spec : isObject ? (spec as Record<string, unknown>)['preset'] : undefined;
    if (typeof preset === 'string' && !(preset in WORKLOAD_PRESETS)) {
      problems.push(problemAt(doc, isObject ? [...path, 'preset'] : path, file, at, new UnknownPresetError(preset).message));
    }
  }
  return problems;
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}

type ZodIssue = z.core.$ZodIssue;

function issueProblems(issue: ZodIssue, doc: Document, file: string, at: (o: number) => { line: number; col: number }): PlanProblem[] {
  const path = issue.path as PropertyKey[];
  const key = path[path.length - 1];
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_union') && 'input' in issue && issue.input === undefined && typeof key === 'string') {
    return [problemAt(doc, path, file, at, `missing required key "${key}"`)];
  }
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const node = doc.getIn(path, true);
      let keyNode: YamlNode | undefined;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
        keyNode = pair && isScalar(pair.key) ? pair.key : undefined;
      }
      const offset = keyNode?.range?.[0] ?? nodeOffset(doc, path);
      const { line, col } = at(offset);
      return { file, line, column: col, path: formatPath([...path, key]), message: `unknown key "${key}"; remove it or check its spelling` };
    });
  }
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // Report the branch that got furthest: the one whose issues have the longest paths.
    const best = issue.errors.reduce((a, b) => (depth(b) > depth(a) ? b : a));
    if (depth(best) > 0 && !isTypeMismatchOnly(best, path.length)) return best.flatMap((i) => issueProblems(i, doc, file, at));
  }
  return [problemAt(doc, path, file, at, issue.message)];
}

function depth(issues: ZodIssue[]): number {
  return Math.max(0, ...issues.map((i) => i.path.length));
}

function isTypeMismatchOnly(issues: ZodIssue[], atDepth: number): boolean {
  return issues.every((i) => i.code === 'invalid_type' && i.path.length === atDepth);
}

function nodeOffset(doc: Document, path: PropertyKey[]): number {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as YamlNode | undefined;
    if (node && typeof node === 'object' && 'range' in node && node.range) return node.range[0];
  }
  return 0;
}

function problemAt(doc: Document, path: PropertyKey[], file: string, at: (o: number) => { line: number; col: number }, message: string): PlanProblem {
  // A missing key has no node: point at its parent mapping.
  const { line, col } = at(nodeOffset(doc, path));
  return { file, line, column: col, path: formatPath(path), message };
}

function sortProblems(problems: PlanProblem[]): PlanProblem[] {
  return problems.sort((a, b) => a.line - b.line || a.column - b.column);
}
