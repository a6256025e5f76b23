// The `local` transport: child processes on this machine, spawned from an argv with no shell in between. The
// simulated host is this transport with the simulator's shims first on PATH (`baseEnv`).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile, chmod } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { ExecOptions, ExecResult, Transport } from './transport';

export function expandHome(path: string): string {
  if (path === '~') return homedir();
  return path.startsWith('~/') ? join(homedir(), path.slice(2)) : path;
}

export class LocalTransport implements Transport {
  readonly kind = 'local' as const;

  constructor(
    readonly description = 'local',
    /** Environment every command gets on top of this process's (e.g. PATH with shims first). */
    private readonly baseEnv: Record<string, string> = {},
  ) {}

  exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (argv.length === 0) return Promise.reject(new Error('no command given: argv is empty'));
    const cwd = options.cwd === undefined ? undefined : expandHome(options.cwd);
    // As the ssh transport's `cd DIR && …`: a missing directory fails the command (spawn would say ENOENT as for a
    // missing program).
    if (cwd !== undefined && !existsSync(cwd)) return Promise.resolve({ exitCode: 1, stdout: '', stderr: `cd: ${cwd}: No such file or directory\n` });
    return new Promise((resolve, reject) => {
      const env = { ...process.env, ...this.baseEnv, ...options.env };
      const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: 'pipe', detached: true });
      let stdout = '';
      let stderr = '';
      const onAbort = () => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        options.onStdout?.(d);
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        options.onStderr?.(d);
      });
      child.stdin.on('error', () => {}); // the command may exit without reading its stdin
      child.stdin.end(options.stdin ?? '');
      child.once('error', (err: NodeJS.ErrnoException) => {
        options.signal?.removeEventListener('abort', onAbort);
        if (err.code === 'ENOENT') resolve({ exitCode: 127, stdout, stderr: `${stderr}${argv[0]}: command not found\n` });
        else reject(err);
      });
      child.once('close', (code, signal) => {
        options.signal?.removeEventListener('abort', onAbort);
        resolve({ exitCode: code, signal: signal ?? undefined, stdout, stderr });
      });
    });
  }

  async upload(localPath: string, remotePath: string, options: { mode?: number } = {}): Promise<void> {
    const target = expandHome(remotePath);
    await mkdir(dirname(target), { recursive: true });
    await copyFile(localPath, target);
    if (options.mode !== undefined) await chmod(target, options.mode);
  }

  async download(remotePath: string, localPath: string): Promise<void> {
    await mkdir(dirname(localPath), { recursive: true });
    await copyFile(expandHome(remotePath), localPath);
  }

  readFile(remotePath: string): Promise<string> {
    return readFile(expandHome(remotePath), 'utf8');
  }

  async writeFile(remotePath: string, content: string, options: { mode?: number } = {}): Promise<void> {
    const target = expandHome(remotePath);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content, { mode: options.mode });
    if (options.mode !== undefined) await chmod(target, options.mode);
  }

  openTcp(port: number, host = '127.0.0.1'): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host, port });
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(socket);
      });
      socket.once('error', reject);
    });
  }

  async close(): Promise<void> {}
}
