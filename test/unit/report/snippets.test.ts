import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import MarkdownIt from 'markdown-it';
import { admonitionPlugin } from '../../../src/core/report/markdownIt';

interface Snippet {
  prefix: string | string[];
  description: string;
  body: string[];
}

const snippets = JSON.parse(readFileSync('snippets/markdown.json', 'utf8')) as Record<string, Snippet>;
const md = admonitionPlugin(new MarkdownIt({ html: true }));

/** What the user gets when accepting every placeholder's default. */
function expand(body: string[]): string {
  return body.join('\n').replace(/\$\{\d+:([^}]*)\}/g, '$1').replace(/\$\{\d+\|([^,|]*)[^}]*\}/g, '$1').replace(/\$\d+/g, '');
}

test('the manifest contributes the snippets, the preview plugin and its styles', () => {
  const contributes = JSON.parse(readFileSync('package.json', 'utf8')).contributes;
  assert.deepEqual(
    contributes.snippets.filter((s: { language: string }) => s.language === 'markdown'),
    [{ language: 'markdown', path: './snippets/markdown.json' }],
  );
  assert.equal(contributes['markdown.markdownItPlugins'], true);
  assert.ok(contributes['markdown.previewStyles'].includes('./media/preview/admonitions.css'));
  readFileSync('media/preview/admonitions.css', 'utf8');
});

test('admonition snippets: quoted titles, bodies indented with four literal spaces, never tabs', () => {
  const blocks = Object.entries(snippets).filter(([, s]) => /^(!!!|\?\?\?)/.test(s.body[0]!));
  assert.deepEqual(
    blocks.map(([, s]) => s.body[0]!.replace(/\$\{\d+:([^}]*)\}/g, '$1')),
    ['!!! note', '??? info "Benchmark result"', '???+ tip "Serving Command"'],
  );
  for (const [name, snippet] of Object.entries(snippets)) {
    for (const line of snippet.body) assert.ok(!line.includes('\t'), `${name}: a tab in "${line}" (VS Code would turn it into tabSize spaces)`);
  }
  for (const [name, snippet] of blocks) {
    const body = snippet.body.slice(1).filter((line) => line !== '$0');
    assert.ok(body.length > 0, name);
    for (const line of body) assert.match(line, /^ {4}\S/, `${name}: "${line}" is not indented by exactly four spaces`);
  }
});

test('each snippet, expanded with its defaults, renders as the block or table it promises', () => {
  const html = (name: string) => md.render(expand(snippets[name]!.body));
  assert.match(html('Admonition: note'), /^<div class="admonition note">\n<p class="admonition-title">Note<\/p>\n<p>Text of the note\.<\/p>\n<\/div>/);
  assert.match(html('Collapsible: info'), /^<details class="info">\n<summary>Benchmark result<\/summary>\n<pre><code>=+ Serving Benchmark Result =+\n<\/code><\/pre>\n<\/details>/);
  assert.match(html('Collapsible: serving command'), /^<details class="tip" open="">\n<summary>Serving Command<\/summary>\n<pre><code class="language-bash">vllm serve zai-org\/GLM-4\.5-Air -tp 4\n/);
  const comparison = html('Table: baseline vs optimized');
  assert.match(comparison, /<th>Benchmark Case<\/th>\n<th>Baseline \(vLLM\)<\/th>\n<th>Optimized \(SGLang, TP4\+EP4\)<\/th>/);
  assert.match(comparison, /<td>Total TPS: 0\.00 <span style="background-color:lightgreen;color:black;">\(\+0\.0%\)<\/span><br>Mean TPOT\(ms\): 0\.00<\/td>/);
  assert.equal((html('Table: summary of optimization options').match(/<tr>/g) ?? []).length, 3);
});
