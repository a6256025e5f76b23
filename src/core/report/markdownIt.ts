// A markdown-it plugin that reads mkdocs-material admonitions the way Python-Markdown's `admonition` and
// pymdownx `details` do (research/vscode-ecosystem.md C.11), so VS Code's built-in preview shows a report as the
// published page will: `!!! type "Title"` → <div class="admonition type">, `???`/`???+` → <details> closed/open.
// The body is every following line indented four more columns (blank lines inside are fine); it is parsed as
// markdown, so fences, tables and nested admonitions work. No vscode import: the extension passes this to
// `extendMarkdownIt`, and tests use it directly.
import type MarkdownIt from 'markdown-it';

type BlockRule = Parameters<MarkdownIt['block']['ruler']['before']>[2];
type StateBlock = Parameters<BlockRule>[0];

// The header expressions of markdown/extensions/admonition.py and pymdownx/details.py, anchored to one line.
const ADMONITION_HEADER = /^!!! ?([\w-]+(?: +[\w-]+)*)(?: +"(.*?)")? *$/;
const DETAILS_HEADER = /^\?\?\?(\+)? ?(?:([\w-]+(?: +[\w-]+)*?)?(?: +"(.*?)")|([\w-]+(?: +[\w-]+)*?)) *$/;

export interface AdmonitionHeader {
  kind: 'admonition' | 'details';
  open: boolean;
  /** Lower-cased type words, e.g. "note" or "info inline". */
  classes: string;
  /** undefined: no title bar (`!!! note ""`). */
  title: string | undefined;
}

const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1).toLowerCase();
const compress = (classes: string) => classes.toLowerCase().replace(/ {2,}/g, ' ');

export function parseAdmonitionHeader(line: string): AdmonitionHeader | undefined {
  const admonition = ADMONITION_HEADER.exec(line);
  if (admonition) {
    const classes = compress(admonition[1]!);
    const quoted = admonition[2];
    const title = quoted === undefined ? capitalize(classes.split(' ')[0]!) : quoted === '' ? undefined : quoted;
    return { kind: 'admonition', open: true, classes, title };
  }
  const details = DETAILS_HEADER.exec(line);
  if (details) {
    const open = details[1] !== undefined;
    if (details[4] !== undefined) {
      const classes = compress(details[4]);
      return { kind: 'details', open, classes, title: capitalize(classes.split(' ')[0]!) };
    }
    return { kind: 'details', open, classes: details[2] === undefined ? '' : compress(details[2]), title: details[3] ?? '' };
  }
  return undefined;
}

const admonitionRule: BlockRule = (state: StateBlock, startLine: number, endLine: number, silent: boolean): boolean => {
  // Four columns past the current block indent is an indented code block, not a header.
  if (state.sCount[startLine]! - state.blkIndent >= 4) return false;
  const start = state.bMarks[startLine]! + state.tShift[startLine]!;
  const first = state.src.charCodeAt(start);
  if (first !== 0x21 /* ! */ && first !== 0x3f /* ? */) return false;
  const header = parseAdmonitionHeader(state.src.slice(start, state.eMarks[startLine]));
  if (!header) return false;
  if (silent) return true;

  const bodyIndent = state.sCount[startLine]! + 4;
  let last = startLine;
  for (let line = startLine + 1; line < endLine; line++) {
    if (state.isEmpty(line)) continue;
    if (state.sCount[line]! < bodyIndent) break;
    last = line;
  }
  const bodyEnd = last + 1;

  const tag = header.kind === 'admonition' ? 'div' : 'details';
  const open = state.push(`${header.kind}_open`, tag, 1);
  open.block = true;
  open.markup = header.kind === 'admonition' ? '!!!' : header.open ? '???+' : '???';
  open.info = header.classes;
  open.map = [startLine, bodyEnd];
  if (header.kind === 'admonition') {
    open.attrSet('class', header.classes ? `admonition ${header.classes}` : 'admonition');
  } else {
    if (header.classes) open.attrSet('class', header.classes);
    if (header.open) open.attrSet('open', '');
  }

  if (header.title !== undefined) {
    const titleTag = header.kind === 'admonition' ? 'p' : 'summary';
    const titleOpen = state.push(`${header.kind}_title_open`, titleTag, 1);
    titleOpen.block = true;
    titleOpen.map = [startLine, startLine + 1];
    if (header.kind === 'admonition') titleOpen.attrSet('class', 'admonition-title');
    const inline = state.push('inline', '', 0);
    inline.content = header.title;
    inline.map = [startLine, startLine + 1];
    inline.children = [];
    state.push(`${header.kind}_title_close`, titleTag, -1).block = true;
  }

  const savedIndent = state.blkIndent;
  const savedLineMax = state.lineMax;
  state.blkIndent = bodyIndent;
  state.lineMax = bodyEnd;
  state.md.block.tokenize(state, startLine + 1, bodyEnd);
  state.blkIndent = savedIndent;
  state.lineMax = savedLineMax;

  state.push(`${header.kind}_close`, tag, -1).block = true;
  state.line = bodyEnd;
  return true;
};

/** Registers the admonition rule; use as `md.use(admonitionPlugin)` or from VS Code's `extendMarkdownIt(md)`. */
export function admonitionPlugin(md: MarkdownIt): MarkdownIt {
  md.block.ruler.before('fence', 'serving_lab_admonition', admonitionRule, { alt: ['paragraph', 'reference', 'blockquote', 'list'] });
  return md;
}
