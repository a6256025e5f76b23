import { test } from 'node:test';
import assert from 'node:assert/strict';
import MarkdownIt from 'markdown-it';
import { admonitionPlugin, parseAdmonitionHeader } from '../../../src/core/report/markdownIt';

const md = admonitionPlugin(new MarkdownIt({ html: true }));

test('headers follow Python-Markdown admonition and pymdownx details', () => {
  assert.deepEqual(parseAdmonitionHeader('!!! note'), { kind: 'admonition', open: true, classes: 'note', title: 'Note' });
  assert.deepEqual(parseAdmonitionHeader('!!!Warning  Inline "Be *careful*"'), { kind: 'admonition', open: true, classes: 'warning inline', title: 'Be *careful*' });
  assert.deepEqual(parseAdmonitionHeader('!!! tip ""'), { kind: 'admonition', open: true, classes: 'tip', title: undefined });
  assert.deepEqual(parseAdmonitionHeader('??? info "Benchmark result"'), { kind: 'details', open: false, classes: 'info', title: 'Benchmark result' });
  assert.deepEqual(parseAdmonitionHeader('???+ tip "Serving Command"'), { kind: 'details', open: true, classes: 'tip', title: 'Serving Command' });
  assert.deepEqual(parseAdmonitionHeader('??? "Only a title"'), { kind: 'details', open: false, classes: '', title: 'Only a title' });
  assert.deepEqual(parseAdmonitionHeader('???+ danger'), { kind: 'details', open: true, classes: 'danger', title: 'Danger' });
  // Single quotes are not a title, and a bare marker is not a header.
  assert.equal(parseAdmonitionHeader("!!! note 'x'"), undefined);
  assert.equal(parseAdmonitionHeader('!!!'), undefined);
  assert.equal(parseAdmonitionHeader('???? info'), undefined);
});

test('admonitions render as mkdocs-material does: div.admonition with a title paragraph, details with summary', () => {
  assert.equal(
    md.render('!!! note\n    1. one\n    2. two\n'),
    '<div class="admonition note">\n<p class="admonition-title">Note</p>\n<ol>\n<li>one</li>\n<li>two</li>\n</ol>\n</div>\n',
  );
  assert.equal(
    md.render('???+ tip "Serving Command"\n    ```bash\n    vllm serve m -tp 4\n    ```\n'),
    '<details class="tip" open="">\n<summary>Serving Command</summary>\n<pre><code class="language-bash">vllm serve m -tp 4\n</code></pre>\n</details>\n',
  );
  assert.equal(md.render('??? info "a <b> & \\"c\\""\n    x\n'), '<details class="info">\n<summary>a <b> &amp; &quot;c&quot;</summary>\n<p>x</p>\n</details>\n');
  assert.equal(md.render('!!! warning ""\n    no title\n'), '<div class="admonition warning">\n<p>no title</p>\n</div>\n');
});

test('the body is every line indented four columns, blank lines included; the block ends at the first outdented line', () => {
  const html = md.render('!!! note\n    first\n\n    second\n\n        code\nafter\n');
  assert.equal(html, '<div class="admonition note">\n<p class="admonition-title">Note</p>\n<p>first</p>\n<p>second</p>\n<pre><code>code\n</code></pre>\n</div>\n<p>after</p>\n');
  // Two spaces are not a body (mkdocs needs four): the text stays outside the block.
  assert.equal(md.render('!!! note\n  two spaces\n'), '<div class="admonition note">\n<p class="admonition-title">Note</p>\n</div>\n<p>two spaces</p>\n');
  // A tab counts as four columns, as in Python-Markdown.
  assert.match(md.render('!!! note\n\ttabbed\n'), /<div class="admonition note">\n<p class="admonition-title">Note<\/p>\n<p>tabbed<\/p>\n<\/div>/);
});

test('nesting, tables inside bodies, and a header right after a paragraph line (as the reference writes them)', () => {
  const nested = md.render('!!! note\n    ??? info "Inner"\n        | a | b |\n        |---|---|\n        | 1 | 2 |\n');
  assert.match(nested, /^<div class="admonition note">\n<p class="admonition-title">Note<\/p>\n<details class="info">\n<summary>Inner<\/summary>\n<table>[\s\S]*<td>1<\/td>[\s\S]*<\/table>\n<\/details>\n<\/div>\n$/);
  const afterParagraph = md.render('vLLM\n??? info "Serving script"\n    ```bash\n    vllm serve x\n    ```\n');
  assert.match(afterParagraph, /^<p>vLLM<\/p>\n<details class="info">\n<summary>Serving script<\/summary>/);
  // Indented by four inside a list item it is still a block; indented four at top level it is code.
  assert.match(md.render('    !!! note\n        x\n'), /^<pre><code>!!! note/);
});

test('token maps cover the block so the preview can sync scrolling', () => {
  const tokens = md.parse('text\n\n!!! note\n    a\n    b\n\nafter\n', {});
  const open = tokens.find((t) => t.type === 'admonition_open');
  assert.deepEqual(open?.map, [2, 5]);
});
