// The `ssh` transport: commands over one ssh2 connection (through ProxyJump hops), files over SFTP (or over exec when
// the host's sshd has no sftp subsystem), TCP through direct-tcpip channels. A dropped connection is re-opened on next use with backoff; a command that was running
// when it dropped reports `connectionLost` so callers can resume (engine runs are detached and survive it).
import type { Client, ClientChannel, SFTPWrapper } from 'ssh2';
import { readFile, writeFile } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Logger } from '../logger';
import { openSshConnection, type SshConnectOptions, type SshConnection } from '../ssh/connection';
import type { ResolvedSshHost } from '../ssh/config';
import { SshSetupError } from '../ssh/types';
import { execReadBytes, execReadText, execWriteFile, homeRelative } from './execFiles';
import { remoteCommandLine, type ExecOptions, type ExecResult, type Transport } from './transport';

/** Waits between reconnect attempts, in seconds. */
const RECONNECT_BACKOFF_S = [1, 2, 4, 8, 16];
/** A probe's wait for a command on the live connection or for one new connection. */
const PROBE_TIMEOUT_MS = 15_000;

/** SFTP resolves relative paths from the login directory, so `~/x` is `x`. */
const sftpPath = homeRelative;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason as Error)), { once: true });
  });

export class SshTransport implements Transport {
  readonly kind = 'ssh' as const;
  readonly description: string;
  private connection?: SshConnection;
  private pending?: Promise<SshConnection>;
  private sftpSession?: Promise<SFTPWrapper>;
  /** Set when the host's sshd refused the sftp subsystem: files then go over exec for this host. */
  private sftpMissing = false;
  private closed = false;
  private everConnected = false;
  /**
   * Set when the host stopped answering (a probe failed, or a whole reconnect series): calls then try one connection
   * each, without the backoff, until one succeeds. Without it every call would wait out the series (~30 s), and a
   * pool would take minutes to notice a dead host.
   */
  private down = false;
  /** Cuts a reconnect series (its backoff, its connection attempt) and channels waiting to open short once the host is known to be down. */
  private giveUp = new AbortController();

  constructor(
    readonly host: ResolvedSshHost,
    private readonly options: SshConnectOptions,
    name = host.alias,
  ) {
    const jumps = host.proxyJump.length ? ` via ${host.proxyJump.join(' → ')}` : '';
    this.description = `ssh ${name} (${host.user}@${host.hostName}:${host.port}${jumps})`;
  }

  private get log(): Logger {
    return this.options.log;
  }

  /** Connects now (the first time, failures are reported at once; later, reconnects retry with backoff). */
  async client(signal?: AbortSignal): Promise<Client> {
    if (this.closed) throw new Error(`${this.description}: the connection was closed`);
    if (this.connection) return this.connection.client;
    this.pending ??= this.open(signal).finally(() => (this.pending = undefined));
    return (await this.pending).client;
  }

  private async open(signal?: AbortSignal): Promise<SshConnection> {
    const attempts = this.everConnected && !this.down ? RECONNECT_BACKOFF_S.length + 1 : 1;
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) {
        if (this.down) break;
        const wait = RECONNECT_BACKOFF_S[attempt - 1]!;
        this.log.warn(`${this.description}: reconnecting in ${wait} s (attempt ${attempt + 1} of ${attempts}): ${lastError?.message}`);
        await sleep(wait * 1000, AbortSignal.any([this.giveUp.signal, ...(signal ? [signal] : [])])).catch((err: unknown) => {
          if (signal?.aborted) throw err;
        });
        if (this.down) break;
        // The probe after the drop found the host and adopted its connection.
        if (this.connection) return this.connection;
      }
      const callerSignal = signal ?? this.options.signal;
      try {
        const connection = await openSshConnection(this.host, { ...this.options, signal: AbortSignal.any([this.giveUp.signal, ...(callerSignal ? [callerSignal] : [])]) });
        // The probe after a drop may have adopted a connection meanwhile: keep that one.
        if (this.connection) {
          connection.end();
          return this.connection;
        }
        this.adopt(connection);
        return connection;
      } catch (err) {
        lastError = err as Error;
        if (err instanceof SshSetupError || signal?.aborted || this.closed) throw err;
      }
    }
    if (this.everConnected) this.down = true;
    throw lastError ?? new Error(`${this.description}: cannot connect`);
  }

  /** Makes a fresh connection the one calls use, and notices when it closes. */
  private adopt(connection: SshConnection): void {
    if (this.everConnected) this.log.info(`${this.description}: reconnected`);
    this.everConnected = true;
    this.down = false;
    this.connection = connection;
    connection.client.once('close', () => {
      if (this.connection !== connection) return;
      this.connection = undefined;
      this.sftpSession = undefined;
      if (this.closed) return;
      this.log.warn(`${this.description}: connection lost; it is re-opened on next use (engine runs keep going on the host)`);
      // One look at once whether the host still answers: a host that is gone is marked down now, which cuts a reconnect
      // series already waiting out its backoff (~31 s) short, so calls in flight fail within seconds.
      void this.probe();
    });
    connection.client.on('error', (err) => this.log.debug(`${this.description}: ${err.message}`));
  }

  /**
   * Whether the host answers now: `true` on the live connection, or one new connection (no backoff). A host that
   * does not answer is marked down, so calls in flight and later ones fail at once instead of retrying for ~30 s.
   */
  async probe(timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
    if (this.closed) return false;
    const attempt = async (): Promise<boolean> => {
      if (this.connection) {
        const r = await this.execOnce('true', ['true'], { signal: AbortSignal.timeout(timeoutMs) });
        if (r.exitCode === 0 && !r.connectionLost) return true;
      }
      const connection = await openSshConnection(this.host, { ...this.options, signal: AbortSignal.timeout(timeoutMs) });
      if (this.connection || this.closed) connection.end();
      else this.adopt(connection);
      return true;
    };
    let timer: NodeJS.Timeout | undefined;
    const answered = await Promise.race([attempt().catch(() => false), new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))]);
    clearTimeout(timer);
    if (!answered && !this.closed) {
      this.down = true;
      this.giveUp.abort();
      this.giveUp = new AbortController();
    }
    return answered;
  }

  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const line = remoteCommandLine(argv, options);
    return this.retryOnDrop(() => this.execOnce(line, argv, options));
  }

  /**
   * Runs an operation; when it fails because the connection just died (the drop is not yet noticed when the request
   * is sent), drops the connection and tries once more on a fresh one. "No such file" and other answers from the
   * host are not retried.
   */
  private async retryOnDrop<T>(op: () => Promise<T>): Promise<T> {
    const connection = this.connection;
    try {
      return await op();
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ENOENT' || this.closed || err instanceof SshSetupError) throw err;
      if (this.connection === connection) {
        connection?.end();
        this.connection = undefined;
        this.sftpSession = undefined;
      }
      this.log.debug(`${this.description}: retrying on a new connection after: ${(err as Error).message}`);
      return op();
    }
  }

  private async execOnce(line: string, argv: readonly string[], options: ExecOptions): Promise<ExecResult> {
    const client = await this.client(options.signal);
    if (options.signal?.aborted) throw options.signal.reason;
    // Until the channel opens, an abort or the host going down ends the wait (a half-dead connection may never answer).
    const opening = AbortSignal.any([this.giveUp.signal, ...(options.signal ? [options.signal] : [])]);
    return new Promise((resolve, reject) => {
      let abandoned = false;
      const abandon = () => {
        abandoned = true;
        reject(options.signal?.aborted ? options.signal.reason : new Error(`${this.description}: cannot run ${argv[0]}: the host stopped answering`));
      };
      opening.addEventListener('abort', abandon, { once: true });
      client.exec(line, (err, stream: ClientChannel) => {
        opening.removeEventListener('abort', abandon);
        if (abandoned) return void stream?.close();
        if (err) return reject(new Error(`${this.description}: cannot run ${argv[0]}: ${err.message}`));
        let stdout = '';
        let stderr = '';
        let exitCode: number | null = null;
        let signalName: string | undefined;
        let exited = false;
        const onAbort = () => {
          stream.signal('KILL');
          stream.close();
        };
        options.signal?.addEventListener('abort', onAbort, { once: true });
        stream.setEncoding('utf8');
        stream.on('data', (d: string) => {
          stdout += d;
          options.onStdout?.(d);
        });
        stream.stderr.setEncoding('utf8');
        stream.stderr.on('data', (d: string) => {
          stderr += d;
          options.onStderr?.(d);
        });
        stream.on('exit', (code: number | null, sig?: string) => {
          exited = true;
          exitCode = code ?? null;
          signalName = sig ?? undefined;
        });
        stream.on('close', () => {
          options.signal?.removeEventListener('abort', onAbort);
          const lost = !exited && !options.signal?.aborted;
          resolve({ exitCode, signal: signalName, stdout, stderr, connectionLost: lost || undefined });
        });
        stream.end(options.stdin ?? '');
      });
    });
  }

  private sftp(): Promise<SFTPWrapper> {
    this.sftpSession ??= this.client().then(
      (client) =>
        new Promise<SFTPWrapper>((resolve, reject) =>
          client.sftp((err, sftp) => (err ? reject(new Error(`${this.description}: SFTP unavailable: ${err.message}`)) : resolve(sftp))),
        ),
    );
    const session = this.sftpSession;
    session.catch(() => {
      if (this.sftpSession === session) this.sftpSession = undefined;
    });
    return session;
  }

  /** The SFTP session, or undefined when the host has no sftp subsystem (the caller then moves files over exec). */
  private async sftpOrExec(): Promise<SFTPWrapper | undefined> {
    if (this.sftpMissing) return undefined;
    try {
      return await this.sftp();
    } catch (err) {
      if (!/Unable to start subsystem/.test((err as Error).message)) throw err;
      this.sftpMissing = true;
      this.log.info(`${this.description}: the host's sshd has no sftp subsystem; files go over exec (cat, base64) instead`);
      return undefined;
    }
  }

  private readonly execFn = (argv: readonly string[], options?: ExecOptions) => this.exec(argv, options);

  private async withParent<T>(remotePath: string, what: string, op: () => Promise<T>): Promise<T> {
    const fail = (err: Error): never => {
      throw Object.assign(new Error(`${this.description}: cannot ${what} ${remotePath}: ${err.message}`), { code: (err as { code?: unknown }).code });
    };
    try {
      return await op();
    } catch (err) {
      if ((err as { code?: number }).code !== 2) return fail(err as Error); // SFTP "no such file": create the directory once
      // mkdir from the home directory, where SFTP resolves relative paths too.
      const parent = sftpPath(posix.dirname(remotePath));
      const r = await this.exec(['sh', '-c', 'cd && mkdir -p -- "$1"', 'sh', parent]);
      if (r.exitCode !== 0) throw new Error(`${this.description}: cannot create ${posix.dirname(remotePath)}: ${r.stderr.trim()}`);
      return op().catch(fail);
    }
  }

  async upload(localPath: string, remotePath: string, options: { mode?: number } = {}): Promise<void> {
    const path = sftpPath(remotePath);
    await this.retryOnDrop(async () => {
      const sftp = await this.sftpOrExec();
      if (!sftp) return execWriteFile(this.execFn, this.description, remotePath, await readFile(localPath), options);
      await this.withParent(remotePath, 'upload to', () => new Promise<void>((resolve, reject) => sftp.fastPut(localPath, path, { mode: options.mode }, (err) => (err ? reject(err) : resolve()))));
    });
  }

  async download(remotePath: string, localPath: string): Promise<void> {
    await this.retryOnDrop(async () => {
      const sftp = await this.sftpOrExec();
      if (!sftp) return writeFile(localPath, await execReadBytes(this.execFn, this.description, remotePath));
      await new Promise<void>((resolve, reject) =>
        sftp.fastGet(sftpPath(remotePath), localPath, (err) => (err ? reject(Object.assign(new Error(`${this.description}: cannot download ${remotePath}: ${err.message}`), { code: (err as { code?: number }).code === 2 ? 'ENOENT' : undefined })) : resolve())),
      );
    });
  }

  readFile(remotePath: string): Promise<string> {
    return this.retryOnDrop(() => this.readFileOnce(remotePath));
  }

  private async readFileOnce(remotePath: string): Promise<string> {
    const sftp = await this.sftpOrExec();
    if (!sftp) return execReadText(this.execFn, this.description, remotePath);
    return new Promise((resolve, reject) =>
      sftp.readFile(sftpPath(remotePath), { encoding: 'utf8' }, (err, data) => {
        if (!err) return resolve(String(data));
        const e = new Error(`${this.description}: cannot read ${remotePath}: ${err.message}`) as Error & { code?: string };
        if ((err as { code?: number }).code === 2) e.code = 'ENOENT';
        reject(e);
      }),
    );
  }

  async writeFile(remotePath: string, content: string, options: { mode?: number } = {}): Promise<void> {
    const path = sftpPath(remotePath);
    await this.retryOnDrop(async () => {
      const sftp = await this.sftpOrExec();
      if (!sftp) return execWriteFile(this.execFn, this.description, remotePath, content, options);
      await this.withParent(remotePath, 'write', () => new Promise<void>((resolve, reject) => sftp.writeFile(path, content, { mode: options.mode }, (err) => (err ? reject(err) : resolve()))));
    });
  }

  async openTcp(port: number, host = '127.0.0.1'): Promise<Duplex> {
    const client = await this.client();
    // No retry: a refused port is the common answer (engine not up yet) and says nothing about the connection.
    return new Promise((resolve, reject) =>
      client.forwardOut('127.0.0.1', 0, host, port, (err, stream) => (err ? reject(Object.assign(new Error(`${this.description}: cannot reach ${host}:${port} on the host: ${err.message}`), { code: 'ECONNREFUSED' })) : resolve(stream))),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    this.connection?.end();
    this.connection = undefined;
  }
}
