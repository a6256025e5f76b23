import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRegions, insertRegion, insertRegionIntoFile, RegionFileError, RegionMarkerError } from '../../../src/core/report/insert';

const BEGIN = '<!-- serving-lab:begin glm -->';
const END = '<!-- serving-lab:end glm -->';
const DOC = '# Serving notes\n\nSome text the user wrote.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n';

test('first insert appends a region and keeps the document as a byte-identical prefix', () => {
  const out = insertRegion(DOC, 'glm', '## Findings\n\nFast.\n');
  assert.ok(out.startsWith(DOC));
  assert.equal(out.slice(DOC.length), `\n${BEGIN}\n\n## Findings\n\nFast.\n\n${END}\n`);
  // No trailing newline in the document: one is added before the region, nothing else changes.
  const noEol = insertRegion('text', 'glm', 'x');
  assert.equal(noEol, `text\n\n${BEGIN}\n\nx\n\n${END}\n`);
  assert.equal(insertRegion('', 'glm', 'x'), `${BEGIN}\n\nx\n\n${END}\n`);
});

test('update replaces only the region; the bytes before and after it are unchanged', () => {
  const before = 'intro  \n\n';
  const after = '\n## Later\ntrailing text without newline';
  const doc = `${before}${BEGIN}\nold findings\nmore old\n${END}${after}`;
  const out = insertRegion(doc, 'glm', 'new findings');
  assert.equal(out, `${before}${BEGIN}\n\nnew findings\n\n${END}${after}`);
  assert.ok(out.startsWith(`${before}${BEGIN}\n`));
  assert.ok(out.endsWith(`${END}${after}`));
});

test('inserting the same content twice changes nothing the second time', () => {
  const once = insertRegion(DOC, 'glm', '## Findings\n\n!!! note\n    four spaces\n');
  assert.equal(insertRegion(once, 'glm', '## Findings\n\n!!! note\n    four spaces\n'), once);
  const updated = insertRegion(once, 'glm', 'v2');
  assert.equal(insertRegion(updated, 'glm', 'v2'), updated);
  assert.ok(updated.startsWith(DOC));
});

test('other regions and marker look-alikes in code fences are left alone', () => {
  const other = '<!-- serving-lab:begin other -->\nkeep me\n<!-- serving-lab:end other -->\n';
  const example = '```markdown\n<!-- serving-lab:begin glm -->\nexample\n```\n';
  const doc = `${other}\n${example}\n${BEGIN}\nold\n${END}\n`;
  const out = insertRegion(doc, 'glm', 'new');
  assert.equal(out, `${other}\n${example}\n${BEGIN}\n\nnew\n\n${END}\n`);
  assert.deepEqual(findRegions(out).map((r) => [r.id, r.begin.number]), [['other', 1], ['glm', 10]]);
});

test('a CRLF document stays CRLF and keeps its other bytes', () => {
  const doc = `title\r\n\r\n${BEGIN}\r\nold\r\n${END}\r\nafter\r\n`;
  const out = insertRegion(doc, 'glm', 'a\nb\n');
  assert.equal(out, `title\r\n\r\n${BEGIN}\r\n\r\na\r\nb\r\n\r\n${END}\r\nafter\r\n`);
  assert.equal(insertRegion(out, 'glm', 'a\nb\n'), out);
});

test('unbalanced, duplicated, nested or mismatched markers are errors that name the line', () => {
  const cases: Array<[string, number, RegExp]> = [
    [`a\n${BEGIN}\nb\n`, 2, /line 2: .*serving-lab:begin glm.* is never ended; add "<!-- serving-lab:end glm -->"/],
    [`a\nb\n${END}\n`, 3, /line 3: .*has no matching "<!-- serving-lab:begin glm -->" above it/],
    [`${BEGIN}\n${END}\n\n${BEGIN}\n${END}\n`, 4, /line 4: region "glm" appears a second time \(first on line 1\); remove one/],
    [`${BEGIN}\n<!-- serving-lab:begin x -->\n`, 2, /line 2: .* starts a region inside region "glm" \(begun on line 1/],
    [`${BEGIN}\n<!-- serving-lab:end x -->\n`, 2, /line 2: .*ends region "x", but the open region is "glm"/],
  ];
  for (const [doc, line, message] of cases) {
    assert.throws(
      () => insertRegion(doc, 'glm', 'x'),
      (err: Error) => err instanceof RegionMarkerError && err.line === line && message.test(err.message) && err.message === `line ${line}: ${err.reason}`,
      doc,
    );
  }
  assert.throws(() => insertRegion(DOC, 'bad id', 'x'), /region ID "bad id" must start with a letter or digit/);
  assert.throws(() => insertRegion(DOC, 'glm', `a\n${END}\n`), /the content to insert contains serving-lab region markers itself/);
});

test('files: atomic write, unchanged file not rewritten, bad markers leave the file untouched with FILE:LINE in the error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'serving-lab-insert-'));
  try {
    const file = join(dir, 'notes.md');
    writeFileSync(file, DOC);
    assert.deepEqual(await insertRegionIntoFile(file, 'glm', 'findings'), { changed: true });
    const first = readFileSync(file, 'utf8');
    assert.ok(first.startsWith(DOC));
    const mtime = statSync(file).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(await insertRegionIntoFile(file, 'glm', 'findings'), { changed: false });
    assert.equal(statSync(file).mtimeMs, mtime);
    assert.deepEqual(readdirSync(dir), ['notes.md'], 'no temp files left behind');

    const broken = join(dir, 'broken.md');
    const brokenText = `intro\n${BEGIN}\nno end\n`;
    writeFileSync(broken, brokenText);
    const brokenMtime = statSync(broken).mtimeMs;
    await assert.rejects(insertRegionIntoFile(broken, 'glm', 'x'), (err: Error) => err instanceof RegionFileError && err.message.startsWith(`${broken}:2: `));
    assert.equal(readFileSync(broken, 'utf8'), brokenText);
    assert.equal(statSync(broken).mtimeMs, brokenMtime);

    // Through a symlink: the target is updated and the link stays a link.
    const target = join(dir, 'target.md');
    writeFileSync(target, DOC);
    symlinkSync('target.md', join(dir, 'link.md'));
    assert.deepEqual(await insertRegionIntoFile(join(dir, 'link.md'), 'glm', 'via link'), { changed: true });
    assert.ok(lstatSync(join(dir, 'link.md')).isSymbolicLink());
    assert.match(readFileSync(target, 'utf8'), /via link/);

    const fresh = join(dir, 'new.md');
    assert.deepEqual(await insertRegionIntoFile(fresh, 'glm', 'x'), { changed: true });
    assert.equal(readFileSync(fresh, 'utf8'), `${BEGIN}\n\nx\n\n${END}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
