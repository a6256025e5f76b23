// Quoting for a POSIX shell: every word reaches the program exactly as given, whatever bytes it holds.

/** Quotes one argument for a POSIX shell: safe for any byte string, including quotes, `$()`, backticks, newlines. */
export function shellQuote(arg: string): string {
  if (arg === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Joins an argv into one shell command line where every word arrives exactly as given. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/** A path as one shell word, with a leading `~/` meaning the remote user's home ("$HOME" stays expandable). */
export function shellPath(path: string): string {
  if (path === '~') return '"$HOME"';
  if (path.startsWith('~/')) return `"$HOME"/${shellQuote(path.slice(2))}`;
  return shellQuote(path);
}
