// One way to reach a host, whatever the medium: `ssh` (ssh2) or `local` (child processes). Everything that acts on a
// host (engine runs, inventory, runners, telemetry) goes through this interface.
import type { Duplex } from 'node:stream';
import { envArgv, shellJoin, shellPath } from '../shell';

export interface ExecOptions {
  signal?: AbortSignal;
  /** Extra environment for the command (quoted into the remote command line, never interpolated raw). */
  env?: Record<string, string>;
  cwd?: string;
  /** Written to the command's stdin (text as UTF-8, or exact bytes), then stdin is closed. */
  stdin?: string | Uint8Array;
  onStdout?(chunk: string): void;
  onStderr?(chunk: string): void;
}

export interface ExecResult {
  /** null when the command was ended by a signal or the connection dropped. */
  exitCode: number | null;
  signal?: string;
  /** True when the connection dropped while the command ran (its outcome is unknown; a retry may be due). */
  connectionLost?: boolean;
  stdout: string;
  stderr: string;
}

export interface Transport {
  readonly kind: 'ssh' | 'local';
  /** For messages: "ssh gpubox (10.0.0.5:22)", "local", "sim (4×A100-SXM4-80GB)". */
  readonly description: string;
  /**
   * Runs argv[0] with argv[1..] as exact arguments (each quoted for a POSIX shell on the remote side). Paths in
   * `cwd` and file methods may start with `~/` (the user's home); argv words are never expanded.
   */
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  upload(localPath: string, remotePath: string, options?: { mode?: number; signal?: AbortSignal }): Promise<void>;
  download(remotePath: string, localPath: string, options?: { signal?: AbortSignal }): Promise<void>;
  readFile(remotePath: string, options?: { signal?: AbortSignal }): Promise<string>;
  writeFile(remotePath: string, content: string, options?: { mode?: number; signal?: AbortSignal }): Promise<void>;
  /**
   * Whether the host answers right now, told within seconds (no reconnect backoff); a host that does not is marked
   * down so later calls fail at once instead of retrying. Only transports that can lose their host have it.
   */
  probe?(timeoutMs?: number): Promise<boolean>;
  /** A TCP stream to host:port as seen from the remote machine (127.0.0.1 by default). */
  openTcp(port: number, host?: string): Promise<Duplex>;
  close(): Promise<void>;
}

/** The command line a remote shell runs for an argv with optional cwd and environment; every user string quoted. */
export function remoteCommandLine(argv: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): string {
  if (argv.length === 0) throw new Error('no command given: argv is empty');
  let line = shellJoin(envArgv(options.env ?? {}, argv));
  if (options.cwd !== undefined) line = `cd ${shellPath(options.cwd)} && ${line}`;
  return line;
}
