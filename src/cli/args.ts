// A small declarative argument parser: commands declare their flags once, and get parsing, `--help` with defaults
// and usage errors (exit 2) from it. Flags follow `vllm bench serve` conventions where commands mirror it:
// `--flag value`, `--flag=value`, lists as several values after one flag (`--goodput ttft:100 tpot:50`).

export class UsageError extends Error {
  readonly exitCode = 2;
}

/** The work itself failed (exit 1); the message says what went wrong and what to do. */
export class CliError extends Error {
  readonly exitCode = 1;
}

/** A flag value that must be a whole number ≥ 1 (`--num-prompts`, `--count`, …). */
export function positiveIntFlag(value: unknown, flag: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new UsageError(`--${flag} must be a positive integer (got ${String(value)})`);
  return value;
}

export type FlagType = 'string' | 'number' | 'boolean' | 'list';

export interface FlagSpec {
  name: string;
  short?: string;
  type: FlagType;
  description: string;
  default?: string | number | boolean | string[];
  choices?: readonly string[];
  /** Value placeholder in help, e.g. FILE. */
  metavar?: string;
}

export interface PositionalSpec {
  name: string;
  description: string;
  variadic?: boolean;
  optional?: boolean;
}

export interface ParsedArgs {
  flags: Record<string, string | number | boolean | string[] | undefined>;
  positionals: string[];
  /** Everything after a bare `--`, untouched. */
  rest: string[];
}

const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export function parseArgs(argv: readonly string[], flags: readonly FlagSpec[], positionals: readonly PositionalSpec[], commandName: string): ParsedArgs {
  const byName = new Map(flags.map((f) => [f.name, f]));
  const byShort = new Map(flags.filter((f) => f.short).map((f) => [f.short!, f]));
  const out: ParsedArgs = { flags: {}, positionals: [], rest: [] };
  for (const f of flags) if (f.default !== undefined) out.flags[camel(f.name)] = f.default;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.rest = argv.slice(i + 1);
      break;
    }
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
      out.positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const rawName = eq >= 0 ? arg.slice(0, eq) : arg;
    const inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    const spec = rawName.startsWith('--') ? byName.get(rawName.slice(2)) : byShort.get(rawName.slice(1));
    if (!spec) throw new UsageError(`${commandName}: unknown option ${rawName}; see \`serving-lab ${commandName} --help\``);
    const key = camel(spec.name);
    if (spec.type === 'boolean') {
      if (inline !== undefined && !/^(true|false)$/.test(inline)) throw new UsageError(`${commandName}: --${spec.name} takes no value (got "${inline}")`);
      out.flags[key] = inline !== 'false';
      continue;
    }
    if (spec.type === 'list') {
      const values: string[] = inline !== undefined ? [inline] : [];
      while (inline === undefined && i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) values.push(argv[++i]!);
      if (values.length === 0) throw new UsageError(`${commandName}: --${spec.name} needs at least one value`);
      const previous = out.flags[key];
      out.flags[key] = Array.isArray(previous) && previous !== spec.default ? [...previous, ...values] : values;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`${commandName}: --${spec.name} needs a value${spec.metavar ? ` (${spec.metavar})` : ''}`);
    if (spec.choices && !spec.choices.includes(value)) {
      throw new UsageError(`${commandName}: --${spec.name} must be one of ${spec.choices.join(', ')} (got "${value}")`);
    }
    if (spec.type === 'number') {
      const n = value === 'inf' ? Infinity : Number(value);
      if (value.trim() === '' || Number.isNaN(n)) throw new UsageError(`${commandName}: --${spec.name} expects a number (got "${value}")`);
      out.flags[key] = n;
    } else {
      out.flags[key] = value;
    }
  }

  const required = positionals.filter((p) => !p.optional && !p.variadic).length;
  const variadic = positionals.find((p) => p.variadic);
  if (out.positionals.length < required || (variadic && !variadic.optional && out.positionals.length < positionals.length)) {
    const missing = positionals[Math.min(out.positionals.length, positionals.length - 1)]!;
    throw new UsageError(`${commandName}: missing ${missing.name.toUpperCase()}; see \`serving-lab ${commandName} --help\``);
  }
  if (!variadic && out.positionals.length > positionals.length) {
    throw new UsageError(`${commandName}: unexpected argument "${out.positionals[positionals.length]}"; see \`serving-lab ${commandName} --help\``);
  }
  return out;
}

export function formatHelp(commandName: string, summary: string, flags: readonly FlagSpec[], positionals: readonly PositionalSpec[], usageTail = ''): string {
  const pos = positionals.map((p) => {
    const n = p.name.toUpperCase() + (p.variadic ? '…' : '');
    return p.optional || (p.variadic && p.optional) ? `[${n}]` : n;
  });
  const lines = [`Usage: serving-lab ${commandName} [options] ${pos.join(' ')}${usageTail}`.trimEnd(), '', summary, ''];
  if (positionals.length > 0) {
    lines.push('Arguments:');
    for (const p of positionals) lines.push(`  ${(p.name.toUpperCase() + (p.variadic ? '…' : '')).padEnd(28)}${p.description}`);
    lines.push('');
  }
  lines.push('Options:');
  const all: FlagSpec[] = [...flags, { name: 'help', short: 'h', type: 'boolean', description: 'show this help and exit' }];
  for (const f of all) {
    const head = `${f.short ? `-${f.short}, ` : '    '}--${f.name}${f.type === 'boolean' ? '' : ` ${f.metavar ?? (f.type === 'list' ? 'VALUE…' : f.type === 'number' ? 'N' : 'VALUE')}`}`;
    const extra = [
      f.choices ? `one of: ${f.choices.join(', ')}` : '',
      f.default !== undefined && f.default !== false ? `default: ${Array.isArray(f.default) ? f.default.join(' ') || '(none)' : String(f.default)}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    lines.push(`  ${head.padEnd(34)}${f.description}${extra ? ` (${extra})` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
