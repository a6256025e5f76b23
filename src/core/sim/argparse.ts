// A small argparse look-alike for the engines' command lines: the simulated engines must accept exactly the flags
// the real ones accept and reject the rest with the real parser's wording (argparse for vLLM and SGLang, click for
// trtllm-serve), so a typo in a plan fails on the simulated host the way it would on a GPU server.

export type OptionKind = 'int' | 'float' | 'str' | 'flag' | 'list' | 'json';

export interface OptionSpec {
  names: string[];
  dest: string;
  kind: OptionKind;
  choices?: readonly string[];
  /** argparse BooleanOptionalAction: also accepts --no-NAME. */
  negatable?: boolean;
}

export interface ParsedEngineArgs {
  values: Record<string, unknown>;
  positionals: string[];
}

export class EngineArgError extends Error {}

const INT = /^[-+]?\d+$/;

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
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
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
    const shown = spec.names.join('/');
    if (spec.kind === 'flag') {
      if (inline !== undefined) throw new EngineArgError(`argument ${shown}: ignored explicit argument '${inline}'`);
      values[spec.dest] = !negated;
      continue;
    }
    if (spec.kind === 'list') {
      const items = inline !== undefined ? [inline] : [];
      while (inline === undefined && i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) items.push(argv[++i]!);
      if (items.length === 0) throw new EngineArgError(`argument ${shown}: expected at least one argument`);
      values[spec.dest] = items;
      continue;
    }
    const value = inline ?? (i + 1 < argv.length && !(argv[i + 1]!.startsWith('--') && argv[i + 1]!.length > 2) ? argv[++i] : undefined);
    if (value === undefined) throw new EngineArgError(`argument ${shown}: expected one argument`);
    if (spec.choices && !spec.choices.includes(value)) {
      throw new EngineArgError(`argument ${shown}: invalid choice: '${value}' (choose from ${spec.choices.map((c) => `'${c}'`).join(', ')})`);
    }
    if (spec.kind === 'int') {
      const scaled = /^\d+[kKmM]$/.test(value) ? Number(value.slice(0, -1)) * (/[kK]$/.test(value) ? 1024 : 1024 * 1024) : INT.test(value) ? Number(value) : NaN;
      if (Number.isNaN(scaled)) throw new EngineArgError(`argument ${shown}: invalid int value: '${value}'`);
      values[spec.dest] = scaled;
    } else if (spec.kind === 'float') {
      const n = Number(value);
      if (value.trim() === '' || Number.isNaN(n)) throw new EngineArgError(`argument ${shown}: invalid float value: '${value}'`);
      values[spec.dest] = n;
    } else if (spec.kind === 'json') {
      try {
        values[spec.dest] = JSON.parse(value) as unknown;
      } catch {
        throw new EngineArgError(`argument ${shown}: invalid loads value: '${value}'`);
      }
    } else {
      values[spec.dest] = value;
    }
  }
  if (unrecognized.length > 0) throw new EngineArgError(`unrecognized arguments: ${unrecognized.join(' ')}`);
  return { values, positionals };
}

/** Builds specs tersely: `opt('--port', 'int')`, with aliases as extra names. */
export function opt(names: string | string[], kind: OptionKind, extra: Partial<OptionSpec> = {}): OptionSpec {
  const list = Array.isArray(names) ? names : [names];
  const long = list.find((n) => n.startsWith('--')) ?? list[0]!;
  return { names: list, dest: long.replace(/^-+/, '').replace(/-/g, '_'), kind, ...extra };
}
