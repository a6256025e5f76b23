// A small argparse look-alike for the engines' command lines: the simulated engines must accept exactly the flags
// the real ones accept and reject the rest with the real parser's wording (argparse for vLLM and SGLang, click for
// trtllm-serve), so a typo in a plan fails on the simulated host the way it would on a GPU server.
import { atLeast } from './engines/versions';

export type OptionKind = 'int' | 'float' | 'str' | 'flag' | 'list' | 'json';

/**
 * What the simulator does with an option: `modelled` changes the simulated timing or memory, `inert` has no effect
 * on speed on a real engine either (ports, names, parsers). Anything else is accepted but not modelled, and
 * `sim predict` names it.
 */
export type OptionEffect = 'modelled' | 'inert';

export interface OptionSpec {
  names: string[];
  dest: string;
  kind: OptionKind;
  choices?: readonly string[];
  /** argparse BooleanOptionalAction: also accepts --no-NAME. */
  negatable?: boolean;
  effect?: OptionEffect;
  /** First release that has the option. */
  since?: string;
  /** First release that no longer has it. */
  until?: string;
}

export interface ParsedEngineArgs {
  values: Record<string, unknown>;
  positionals: string[];
  /** Options given that the simulator accepts without modelling, as the user spelled them. */
  notModelled: string[];
}

export class EngineArgError extends Error {}

const INT = /^[-+]?\d+$/;
const NEGATIVE_NUMBER = /^-\d+$|^-\d*\.\d+$/;

/** The options a release accepts. */
export function optionsFor(specs: readonly OptionSpec[], version: string): OptionSpec[] {
  return specs.filter((s) => (s.since === undefined || atLeast(version, s.since)) && (s.until === undefined || !atLeast(version, s.until)));
}

/**
 * argparse's own test (`_parse_optional`): a word is an option string when it starts with '-', is not '-' alone, is
 * not a negative number, and has no space — known or not. Such a word ends a list and cannot be an option's value.
 */
function looksLikeOption(arg: string, known: ReadonlyMap<string, unknown>): boolean {
  if (!arg.startsWith('-') || arg === '-') return false;
  if (known.has(arg.split('=')[0]!)) return true;
  if (NEGATIVE_NUMBER.test(arg)) return false;
  return !arg.includes(' ');
}

function convert(spec: OptionSpec, value: string): unknown {
  const shown = spec.names.join('/');
  if (spec.choices && !spec.choices.includes(value)) {
    throw new EngineArgError(`argument ${shown}: invalid choice: '${value}' (choose from ${spec.choices.map((c) => `'${c}'`).join(', ')})`);
  }
  if (spec.kind === 'int') {
    const scaled = /^\d+[kKmM]$/.test(value) ? Number(value.slice(0, -1)) * (/[kK]$/.test(value) ? 1024 : 1024 * 1024) : INT.test(value) ? Number(value) : NaN;
    if (Number.isNaN(scaled)) throw new EngineArgError(`argument ${shown}: invalid int value: '${value}'`);
    return scaled;
  }
  if (spec.kind === 'float') {
    const n = Number(value);
    if (value.trim() === '' || Number.isNaN(n)) throw new EngineArgError(`argument ${shown}: invalid float value: '${value}'`);
    return n;
  }
  if (spec.kind === 'json') {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      throw new EngineArgError(`argument ${shown}: invalid loads value: '${value}'`);
    }
  }
  return value;
}

/** Parses `--flag value`, `--flag=value`, short aliases and lists (nargs='+'); unknown flags are collected like argparse. */
export function parseEngineArgs(argv: readonly string[], specs: readonly OptionSpec[], options: { underscoresAsDashes: boolean; allowPositional: number }): ParsedEngineArgs {
  const byName = new Map<string, { spec: OptionSpec; negated: boolean }>();
  for (const spec of specs) {
    for (const name of spec.names) byName.set(name, { spec, negated: false });
    if (spec.negatable) for (const name of spec.names.filter((n) => n.startsWith('--'))) byName.set(`--no-${name.slice(2)}`, { spec, negated: true });
  }
  const values: Record<string, unknown> = {};
  const positionals: string[] = [];
  const unrecognized: string[] = [];
  const notModelled: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!looksLikeOption(arg, byName)) {
      if (positionals.length < options.allowPositional) positionals.push(arg);
      else unrecognized.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    let name = eq >= 0 ? arg.slice(0, eq) : arg;
    if (options.underscoresAsDashes && name.startsWith('--')) name = `--${name.slice(2).replace(/_/g, '-')}`;
    const inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    const found = byName.get(name);
    if (!found) {
      unrecognized.push(arg);
      continue;
    }
    const { spec, negated } = found;
    if (spec.effect === undefined && !notModelled.includes(name)) notModelled.push(name);
    const shown = spec.names.join('/');
    if (spec.kind === 'flag') {
      if (inline !== undefined) throw new EngineArgError(`argument ${shown}: ignored explicit argument '${inline}'`);
      values[spec.dest] = !negated;
      continue;
    }
    if (spec.kind === 'list') {
      const items = inline !== undefined ? [inline] : [];
      while (inline === undefined && i + 1 < argv.length && !looksLikeOption(argv[i + 1]!, byName)) items.push(argv[++i]!);
      if (items.length === 0) throw new EngineArgError(`argument ${shown}: expected at least one argument`);
      values[spec.dest] = items;
      continue;
    }
    const value = inline ?? (i + 1 < argv.length && !looksLikeOption(argv[i + 1]!, byName) ? argv[++i] : undefined);
    if (value === undefined) throw new EngineArgError(`argument ${shown}: expected one argument`);
    values[spec.dest] = convert(spec, value);
  }
  if (unrecognized.length > 0) throw new EngineArgError(`unrecognized arguments: ${unrecognized.join(' ')}`);
  return { values, positionals, notModelled };
}

/** Builds specs tersely: `opt('--port', 'int')`, with aliases as extra names. */
export function opt(names: string | string[], kind: OptionKind, extra: Partial<OptionSpec> = {}): OptionSpec {
  const list = Array.isArray(names) ? names : [names];
  const long = list.find((n) => n.startsWith('--')) ?? list[0]!;
  return { names: list, dest: long.replace(/^-+/, '').replace(/-/g, '_'), kind, ...extra };
}
