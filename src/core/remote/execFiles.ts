// Files over exec, for hosts whose sshd offers no `sftp` subsystem (hardened hosts, some containers): bytes go to
// `cat > FILE` on the command's stdin and come back through `cat` (text) or `base64` (binary), as Ansible's and VS
// Code's remote tooling do without SFTP. Paths starting with `~/` are relative to the home directory, as over SFTP.
import type { ExecOptions, ExecResult } from './transport';

export type Exec = (argv: readonly string[], options?: ExecOptions) => Promise<ExecResult>;

/** Exit status the read scripts use for a missing file, reported as ENOENT like SFTP's "no such file". */
const NO_SUCH_FILE = 3;

// $1 the path, $2 the mode in octal or empty. With a mode, the file is created private (umask 077) and then given it.
const WRITE = 'cd && mkdir -p -- "$(dirname -- "$1")" && { [ -z "$2" ] || umask 077; } && cat > "$1" && { [ -z "$2" ] || chmod -- "$2" "$1"; }';
const READ = `cd && { [ -f "$1" ] || { echo "no such file" >&2; exit ${NO_SUCH_FILE}; }; } && exec "$2" -- "$1"`;

/** A path as the scripts take it after `cd` (home): `~/x` → `x`; absolute paths stay. */
export function homeRelative(path: string): string {
  if (path === '~') return '.';
  return path.startsWith('~/') ? path.slice(2) : path;
}

function failure(description: string, what: string, path: string, r: ExecResult): Error {
  const err = new Error(`${description}: cannot ${what} ${path}: ${r.stderr.trim() || `exit ${r.exitCode ?? r.signal}`}`) as Error & { code?: string };
  if (r.exitCode === NO_SUCH_FILE) err.code = 'ENOENT';
  return err;
}

/** Writes bytes (or text) to a file on the host, creating its directory; `mode` as SFTP's open would set it. */
export async function execWriteFile(exec: Exec, description: string, path: string, content: string | Uint8Array, options: { mode?: number; signal?: AbortSignal } = {}): Promise<void> {
  const mode = options.mode === undefined ? '' : options.mode.toString(8);
  const r = await exec(['sh', '-c', WRITE, 'sh', homeRelative(path), mode], { stdin: content, signal: options.signal });
  if (r.exitCode !== 0) throw failure(description, 'write', path, r);
}

/** Reads a text file from the host; a missing file rejects with code ENOENT. */
export async function execReadText(exec: Exec, description: string, path: string, options: { signal?: AbortSignal } = {}): Promise<string> {
  const r = await exec(['sh', '-c', READ, 'sh', homeRelative(path), 'cat'], { signal: options.signal });
  if (r.exitCode !== 0) throw failure(description, 'read', path, r);
  return r.stdout;
}

/** Reads a file's exact bytes from the host (base64 on the wire); a missing file rejects with code ENOENT. */
export async function execReadBytes(exec: Exec, description: string, path: string, options: { signal?: AbortSignal } = {}): Promise<Buffer> {
  const r = await exec(['sh', '-c', READ, 'sh', homeRelative(path), 'base64'], { signal: options.signal });
  if (r.exitCode !== 0) throw failure(description, 'download', path, r);
  return Buffer.from(r.stdout, 'base64');
}
