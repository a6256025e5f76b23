// Loads a plan (YAML with comments, or JSON, which YAML 1.2 also parses) and reports every problem with its position.
import { open } from 'node:fs/promises';
import { isMap, isScalar, LineCounter, parseDocument, visit, type Document, type Node as YamlNode } from 'yaml';
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

/** Plans are a few KB; past this the file is not a plan (and the loader would keep an editor busy). */
export const MAX_PLAN_BYTES = 1024 * 1024;
/** How much of a value (a key, a preset id) a message quotes. */
const QUOTE_CHARS = 80;
/** Longest message a problem carries; the rest is cut with its length said. */
const MESSAGE_CHARS = 400;

/** A value as a message quotes it: whole when short, else its start and how long it is. */
export function clip(text: string, max = QUOTE_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length.toLocaleString('en-US')} characters)`;
}

/**
 * A long quoted value inside a message (a schema's `got "…"`) shortened in place, so the message keeps its end.
 * Values clipped already (at most QUOTE_CHARS and a length note) are left as they are.
 */
const clipQuoted = (message: string) => message.replace(new RegExp(`"([^"]{${QUOTE_CHARS * 2},})"`, 'g'), (_, value: string) => `"${clip(value)}"`);

const tooBig = (bytes: number) =>
  `the file is ${(bytes / 1024 / 1024).toFixed(1)} MiB; a plan is a few KB and at most ${MAX_PLAN_BYTES / 1024 / 1024} MiB — is this the right file?`;

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
  const whole = (message: string): PlanLoadResult => ({ ok: false, problems: [{ file, line: 1, column: 1, path: '', message }] });
  let source: string;
  try {
    source = await readCapped(file);
  } catch (err) {
    if (err instanceof PlanTooBig) return whole(tooBig(err.bytes));
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    return whole(`cannot read plan: ${why}`);
  }
  return parsePlan(source, file);
}

class PlanTooBig extends Error {
  constructor(readonly bytes: number) {
    super('plan too big');
  }
}

/** Reads at most MAX_PLAN_BYTES (+1 to notice more), also from a pipe whose size is unknown. */
async function readCapped(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size > MAX_PLAN_BYTES) throw new PlanTooBig(size);
    const buffer = Buffer.alloc(MAX_PLAN_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_PLAN_BYTES) throw new PlanTooBig(length);
    }
    return buffer.toString('utf8', 0, length);
  } finally {
    await handle.close();
  }
}

/** Every problem of a plan's text; never throws (an editor runs it on every keystroke). */
export function parsePlan(source: string, file = 'plan.yaml'): PlanLoadResult {
  if (Buffer.byteLength(source, 'utf8') > MAX_PLAN_BYTES) return { ok: false, problems: [{ file, line: 1, column: 1, path: '', message: tooBig(Buffer.byteLength(source, 'utf8')) }] };
  // Preset ids are checked here, not in the schema, so the JSON Schema stays free of runtime lookups.
  const r = parseYamlAs(TuningPlan, source, file, { noun: 'plan', expected: 'a plan mapping (name, model, baseline, stages, workloads…)', extra: unknownPresets });
  return r.ok ? { ok: true, plan: r.data } : r;
}

type Extra = (data: Record<string, unknown>, doc: Document, file: string, at: (o: number) => { line: number; col: number }) => PlanProblem[];
type YamlResult<T> = { ok: true; data: T; lineOf(path: PropertyKey[]): number } | { ok: false; problems: PlanProblem[] };

/**
 * Parses YAML (or JSON) against a schema, with every problem at its line:col and dotted path: the plan loader's
 * mechanism, for any file a user writes (plans, variant files, hosts files); never throws. `extra` adds checks that
 * need the data.
 */
export function parseYamlAs<S extends z.ZodType>(schema: S, source: string, file: string, what: { noun: string; expected: string; extra?: Extra }): YamlResult<z.output<S>> {
  let result: YamlResult<z.output<S>>;
  try {
    result = parseChecked(schema, source, file, what);
  } catch (err) {
    // e.g. the YAML library's guard against alias bombs ("Excessive alias count…").
    result = { ok: false, problems: [{ file, line: 1, column: 1, path: '', message: `cannot load ${what.noun}: ${(err as Error).message}` }] };
  }
  if (!result.ok) for (const p of result.problems) p.message = clip(clipQuoted(p.message), MESSAGE_CHARS);
  return result;
}

function parseChecked<S extends z.ZodType>(schema: S, source: string, file: string, what: { expected: string; extra?: Extra }): YamlResult<z.output<S>> {
  const lineCounter = new LineCounter();
  // The library's own duplicate-key check compares every key with every other (minutes for a big mapping).
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const at = (offset: number) => lineCounter.linePos(offset);
  const syntax = doc.errors.map((e) => ({ offset: e.pos[0], message: `YAML syntax error: ${firstLine(e.message)}` }));
  const malformed = [...syntax, ...duplicateKeys(doc)].map(({ offset, message }) => {
    const { line, col } = at(offset);
    return { file, line, column: col, path: '', message };
  });
  if (malformed.length > 0) return { ok: false, problems: sortProblems(malformed) };
  const data: unknown = doc.toJS();
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { ok: false, problems: [{ file, line: 1, column: 1, path: '', message: `expected ${what.expected}, got ${describeInput(data)}` }] };
  }
  const parsed = schema.safeParse(data, { reportInput: true });
  const problems: PlanProblem[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(...issueProblems(issue, doc, file, at));
  }
  if (what.extra) problems.push(...what.extra(data as Record<string, unknown>, doc, file, at));
  if (problems.length > 0) return { ok: false, problems: sortProblems(problems) };
  return { ok: true, data: parsed.data!, lineOf: (path) => at(nodeOffset(doc, path)).line };
}

/** Keys repeated within one mapping, found with one set per mapping. */
function duplicateKeys(doc: Document): Array<{ offset: number; message: string }> {
  const found: Array<{ offset: number; message: string }> = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        if (seen.has(pair.key.value)) found.push({ offset: pair.key.range?.[0] ?? 0, message: `duplicate key: "${clip(String(pair.key.value))}" appears twice in this mapping; keep one` });
        seen.add(pair.key.value);
      }
    },
  });
  return found;
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
      problems.push(problemAt(doc, isObject ? [...path, 'preset'] : path, file, at, new UnknownPresetError(clip(preset)).message));
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
    // One index of the mapping's keys: a plan with thousands of unknown keys is checked in linear time.
    const node = doc.getIn(path, true);
    const keyNodes = new Map<unknown, YamlNode>();
    if (isMap(node)) for (const pair of node.items) if (isScalar(pair.key) && !keyNodes.has(pair.key.value)) keyNodes.set(pair.key.value, pair.key);
    const parentOffset = nodeOffset(doc, path);
    return issue.keys.map((key) => {
      const { line, col } = at(keyNodes.get(key)?.range?.[0] ?? parentOffset);
      return { file, line, column: col, path: formatPath([...path, clip(key)]), message: `unknown key "${clip(key)}"; remove it or check its spelling` };
    });
  }
  if (issue.code === 'invalid_key' && typeof key === 'string') {
    // A bad key (an env name) is pointed at itself, not at its value.
    const mapNode = doc.getIn(path.slice(0, -1), true);
    const pair = isMap(mapNode) ? mapNode.items.find((p) => isScalar(p.key) && p.key.value === key) : undefined;
    const { line, col } = at((isScalar(pair?.key) ? pair.key.range?.[0] : undefined) ?? nodeOffset(doc, path));
    return [{ file, line, column: col, path: formatPath(path.map((k) => (typeof k === 'string' ? clip(k) : k))), message: issue.message }];
  }
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // Report the branch that got furthest: the one whose issues have the longest paths. A branch's paths are
    // relative to the union (e.g. `parallel.tp` inside `baseline`), so they are put under its path.
    const best = issue.errors.reduce((a, b) => (depth(b) > depth(a) ? b : a));
    if (depth(best) > 0 && !isTypeMismatchOnly(best, 0)) return best.flatMap((i) => issueProblems({ ...i, path: [...path, ...i.path] } as ZodIssue, doc, file, at));
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
