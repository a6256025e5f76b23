// Serving scripts as people paste them: comment lines, `export A=B` lines, `A=B cmd` and `env A=B cmd` prefixes,
// backslash continuations (also with stray spaces after the backslash), CRLF line ends, and commands around the
// serve command (`pip install …`, `huggingface-cli download …`), which are set aside and reported. What remains is
// the one serve command and the environment it runs with. Nothing is run or expanded.
import { envNameProblem, ShellSyntaxError, splitShellWords } from '../shell';
import { VariantError } from './adapter';

export interface ServingScript {
  /** The serve command's words, without environment assignments. */
  argv: string[];
  /** Exported variables and the command's own `A=B` prefixes (the prefixes win). */
  env: Record<string, string>;
  /** Other commands of the script, not run: `line N: text`. */
  ignored: string[];
}

const ASSIGNMENT = /^([^=\s]+)=(.*)$/s;
/** The commands that start an engine; `docker run` too, whose image runs one. */
const SERVE = /^(?:\S*\/)?(?:vllm\s+serve\b|python(?:\d+(?:\.\d+)?)?\s+-m\s+sglang\.launch_server\b|trtllm-serve\b|docker\s+run\b)/;

/** Logical lines: continuations joined, split at newlines outside quotes; each with its first physical line number. */
function logicalLines(text: string): Array<{ line: number; text: string }> {
  const joined = text.replace(/\r\n?/g, '\n').replace(/\\[ \t]+\n/g, '\\\n');
  const out: Array<{ line: number; text: string }> = [];
  let quote: string | undefined;
  let start = 0;
  let line = 1;
  let startLine = 1;
  for (let i = 0; i < joined.length; i++) {
    const c = joined[i]!;
    if (c === '\n') line += 1;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"') i += 1;
      continue;
    }
    if (c === '\\') {
      if (joined[i + 1] === '\n') line += 1;
      i += 1;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === start || /\s/.test(joined[i - 1]!))) {
      const end = joined.indexOf('\n', i);
      i = (end < 0 ? joined.length : end) - 1;
    } else if (c === '\n') {
      out.push({ line: startLine, text: joined.slice(start, i) });
      start = i + 1;
      startLine = line;
    }
  }
  out.push({ line: startLine, text: joined.slice(start) });
  return out;
}

function assign(env: Record<string, string>, word: string, line: number): void {
  const m = ASSIGNMENT.exec(word)!;
  const problem = envNameProblem(m[1]!);
  if (problem) throw new VariantError(`line ${line}: ${problem}`);
  env[m[1]!] = m[2]!;
}

/** Parses a pasted serving script (or a single command line) into the serve command and its environment. */
export function parseServingScript(text: string): ServingScript {
  const exported: Record<string, string> = {};
  const shellVars: Record<string, string> = {};
  const commands: Array<{ line: number; words: string[]; text: string }> = [];
  for (const { line, text: raw } of logicalLines(text)) {
    let words: string[];
    try {
      words = splitShellWords(raw);
    } catch (err) {
      if (err instanceof ShellSyntaxError) throw new VariantError(`line ${line}: ${err.message}`);
      throw err;
    }
    if (words.length === 0) continue;
    if (words[0] === 'export') {
      for (const w of words.slice(1)) {
        if (ASSIGNMENT.test(w)) assign(exported, w, line);
        else if (w in shellVars) exported[w] = shellVars[w]!;
      }
      continue;
    }
    // `A=B` alone sets a shell variable: it reaches the engine only if exported later.
    if (words.every((w) => ASSIGNMENT.test(w))) {
      for (const w of words) assign(shellVars, w, line);
      continue;
    }
    commands.push({ line, words: words[0] === 'env' ? words.slice(1) : words, text: raw.trim().replace(/\s+/g, ' ') });
  }
  if (commands.length === 0) throw new VariantError('the script has no command: paste the engine command, e.g. "vllm serve zai-org/GLM-4.5-Air -tp 4"');
  // With one command, that is the one to run (its engine is checked later); among several, the serve command.
  const isServe = (c: { words: string[] }) => SERVE.test(c.words.slice(c.words.findIndex((w) => !ASSIGNMENT.test(w))).join(' '));
  const serve = commands.length === 1 ? commands : commands.filter(isServe);
  const ignored = commands.filter((c) => !serve.includes(c)).map((c) => `line ${c.line}: ${c.text}`);
  if (serve.length === 0) throw new VariantError(`no serve command found (only: ${ignored.join('; ')}): paste the engine command, e.g. "vllm serve zai-org/GLM-4.5-Air -tp 4"`);
  if (serve.length > 1) throw new VariantError(`the script has ${serve.length} serve commands (lines ${serve.map((c) => c.line).join(', ')}): paste the one to run`);
  const found = serve[0]!;
  const env = { ...exported };
  const at = found.words.findIndex((w) => !ASSIGNMENT.test(w));
  for (const w of found.words.slice(0, at)) assign(env, w, found.line);
  return { argv: found.words.slice(at), env, ignored };
}

/** The script as one argv with its environment as leading `A=B` words: the form a pasted command line has. */
export function scriptArgv(script: ServingScript): string[] {
  return [...Object.entries(script.env).map(([k, v]) => `${k}=${v}`), ...script.argv];
}

/**
 * A command as a CLI receives it: one argument is a pasted script (or command line) to parse; several are an argv,
 * possibly led by `env` and `A=B` words.
 */
export function servingCommand(args: readonly string[]): ServingScript {
  if (args.length === 1) return parseServingScript(args[0]!);
  const words = args[0] === 'env' ? args.slice(1) : args;
  const at = words.findIndex((w) => !ASSIGNMENT.test(w));
  const env: Record<string, string> = {};
  for (const w of words.slice(0, at < 0 ? words.length : at)) assign(env, w, 1);
  return { argv: at < 0 ? [] : words.slice(at), env, ignored: [] };
}
