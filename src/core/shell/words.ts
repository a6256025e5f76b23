// Splits a pasted command line into words the way a POSIX shell would, without running or expanding anything:
// quotes and backslashes are honoured, `$VAR`, `$(…)` and backticks stay literal text, and control operators
// (`;`, `|`, `&`, redirections) are refused because a serve command line is one simple command.

export class ShellSyntaxError extends Error {}

export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  const n = text.length;
  const finish = () => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  while (i < n) {
    const c = text[i]!;
    if (c === '\\') {
      const next = text[i + 1];
      if (next === undefined) {
        i++;
        continue;
      }
      if (next === '\n') {
        i += 2; // line continuation
        continue;
      }
      word += next;
      inWord = true;
      i += 2;
      continue;
    }
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new ShellSyntaxError(`unterminated single quote at character ${i + 1}: close it with '`);
      word += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
      continue;
    }
    if (c === '"') {
      i++;
      inWord = true;
      let closed = false;
      while (i < n) {
        const d = text[i]!;
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === '\\' && i + 1 < n && '$`"\\\n'.includes(text[i + 1]!)) {
          if (text[i + 1] !== '\n') word += text[i + 1];
          i += 2;
          continue;
        }
        word += d;
        i++;
      }
      if (!closed) throw new ShellSyntaxError('unterminated double quote: close it with "');
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      finish();
      i++;
      continue;
    }
    if (c === '#' && !inWord) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? n : end;
      continue;
    }
    if (';|&<>'.includes(c)) {
      throw new ShellSyntaxError(
        `unquoted "${c}" at character ${i + 1}: paste a single command (no ;, |, &, or redirections), or quote the character`,
      );
    }
    word += c;
    inWord = true;
    i++;
  }
  finish();
  return words;
}
