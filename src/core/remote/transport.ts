// One way to reach a host, whatever the medium: `ssh` (ssh2) or `local` (child processes). Everything that acts on a
// host (engine runs, inventory, runners, telemetry) goes through this interface.
import type { Duplex } from 'node:stream';

export interface ExecOptions {
  signal?: AbortSignal;
  /** Extra environment for the command (quoted into the remote command line, never interpolated raw). */
  env?: Record<string, string>;
  cwd?: string;
  /** Written to the command's stdin, then stdin is closed. */
  stdin?: string;
  onStdout?(chunk: string): void;
  onStderr?(chunk: string): void;
}

export interface ExecResult {
  /** null when the command was ended by a signal or the connection dropped. */
  exitCode: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
}

export interface Transport {
  /** For messages: "ssh gpubox (10.0.0.5:22)", "local", "sim (4×A100-SXM4-80GB)". */
  readonly description: string;
  /** Runs argv[0] with argv[1..] as exact arguments (each quoted for a POSIX shell on the remote side). */
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  upload(localPath: string, remotePath: string, options?: { mode?: number; signal?: AbortSignal }): Promise<void>;
  download(remotePath: string, localPath: string, options?: { signal?: AbortSignal }): Promise<void>;
  readFile(remotePath: string, options?: { signal?: AbortSignal }): Promise<string>;
  writeFile(remotePath: string, content: string, options?: { mode?: number; signal?: AbortSignal }): Promise<void>;
  /** A TCP stream to host:port as seen from the remote machine (127.0.0.1 by default). */
  openTcp(port: number, host?: string): Promise<Duplex>;
  close(): Promise<void>;
}

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
