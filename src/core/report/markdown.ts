// Markdown building blocks for mkdocs-material pages (research/vscode-ecosystem.md C.11): admonitions whose bodies
// are indented exactly four spaces, code fences that cannot be closed by their content, and pipe tables.
import { shellJoin, shellQuote, splitShellWords } from '../shell';

export type AdmonitionMarker = '!!!' | '???' | '???+';

/** Python-Markdown reads a body line indented by a tab as four columns, but an editor may not: never emit tabs. */
const TAB = /\t/g;

/**
 * An admonition (`!!!`), a closed collapsible block (`???`) or an open one (`???+`). The title is always quoted
 * (single quotes are not recognised), and a `"` inside it becomes `&quot;` so the title cannot end early.
 */
export function admonition(marker: AdmonitionMarker, type: string, title: string | undefined, body: string): string {
  if (!/^[\w-]+(?: +[\w-]+)*$/.test(type)) throw new Error(`admonition type "${type}" must be words of letters, digits, "_" or "-"`);
  const header = title === undefined ? `${marker} ${type}` : `${marker} ${type} "${title.replace(/"/g, '&quot;')}"`;
  return `${header}\n${indent(body.replace(TAB, '    '))}`;
}

/** Indents every non-empty line by four spaces (empty lines stay empty: no trailing whitespace). */
export function indent(text: string): string {
  return text
    .replace(/\n+$/, '')
    .split('\n')
    .map((line) => (line === '' ? '' : `    ${line}`))
    .join('\n');
}

/** A fenced code block whose fence is longer than any backtick run in the content, so the content cannot close it. */
export function codeFence(language: string, content: string): string {
  const longestRun = Math.max(0, ...[...content.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return `${fence}${language}\n${content.replace(/\n+$/, '')}\n${fence}`;
}

/** A pipe table. Cells may hold inline markdown and inline HTML; a `|` inside a cell is escaped. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|').replace(/\n/g, ' ')).join(' | ')} |`;
  for (const row of rows) {
    if (row.length !== header.length) throw new Error(`table row has ${row.length} cells, the header has ${header.length}`);
  }
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

/**
 * Text that came from a plan, a result or a host (names, descriptions, notes, error messages) as a page shows it:
 * `&`, `<` and `>` become entities, so nothing in it turns into HTML (`<script>`, `<img onerror=…>`) on a published
 * site. Code spans and fences need no escaping and must not get it.
 */
export function plainText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A relative change in percent with its sign and one decimal, e.g. `+60.0%`. */
export function signedPercent(changePct: number): string {
  const text = changePct.toFixed(1);
  if (text === '0.0' || text === '-0.0') return '0.0%';
  return changePct > 0 ? `+${text}%` : `${text}%`;
}

export function relativeChangePct(from: number, to: number): number {
  return from === 0 ? 0 : (to / from - 1) * 100;
}

/**
 * The reference highlights gains with an inline background; the text colour is fixed too, so the cell stays readable
 * in dark themes (a light background under light theme text would not be).
 */
export function highlight(text: string, tone: 'better' | 'worse'): string {
  const background = tone === 'better' ? 'lightgreen' : 'lightsalmon';
  return `<span style="background-color:${background};color:black;">${text}</span>`;
}

const WRAP_AT = 80;

/**
 * A long command broken over lines with `\` continuations, flags kept with their values, as the reference writes its
 * serving command. Only a command in shellJoin's canonical quoting is wrapped, so every word stays byte for byte
 * and pasting the block runs exactly the stored command; anything else is returned as it is.
 */
export function wrapCommand(command: string): string {
  if (command.length <= WRAP_AT || command.includes('\n')) return command;
  let words: string[];
  try {
    words = splitShellWords(command);
  } catch {
    return command;
  }
  if (shellJoin(words) !== command) return command;
  const segments: string[] = [];
  for (const word of words) {
    if (segments.length === 0 || /^--?[A-Za-z]/.test(word)) segments.push(shellQuote(word));
    else segments[segments.length - 1] += ` ${shellQuote(word)}`;
  }
  const lines: string[] = [];
  for (const segment of segments) {
    const last = lines[lines.length - 1];
    if (last !== undefined && last.length + 1 + segment.length <= WRAP_AT) lines[lines.length - 1] = `${last} ${segment}`;
    else lines.push(segment);
  }
  return lines.map((line, i) => (i === 0 ? line : `    ${line}`)).join(' \\\n');
}
