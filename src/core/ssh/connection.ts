// One authenticated SSH connection (ssh2), hop by hop through ProxyJump with `forwardOut`, every hop's host key
// verified against known_hosts and Serving Lab's trust file before authentication.
import { spawn } from 'node:child_process';
import { homedir, userInfo } from 'node:os';
import { Duplex } from 'node:stream';
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import type { Logger } from '../logger';
import { sshHostNameProblem, sshUserProblem } from '../shell';
import { planAuthentication } from './auth';
import { expandTokens, parseJumpHop, resolveSshHost, type ResolvedSshHost, type ResolveOptions } from './config';
import { addTrustedKey, fingerprintOf, hostKeyAlgorithmsFor, keyTypeOf, knownHostId, readKnownHostsFiles, verifyHostKey } from './knownHosts';
import { SshSetupError, type CredentialProvider, type HostKeyPrompter } from './types';

export interface SshConnectOptions {
  credentials?: CredentialProvider;
  hostKeys?: HostKeyPrompter;
  log: Logger;
  signal?: AbortSignal;
  /** Serving Lab's own known_hosts-format file of keys the user accepted. */
  trustFile: string;
  /** ssh-agent socket; default: IdentityAgent from the config, else SSH_AUTH_SOCK. */
  agent?: string;
  /** How config files are read for jump hops (same -F file as the target). */
  resolve?: ResolveOptions;
}

export interface SshConnection {
  client: Client;
  /** The jump hosts' connections, first hop first (closed with the target). */
  hops: Client[];
  end(): void;
}

/** Default keepalive when the config sets none: a tuning run lasts hours, and NAT boxes drop idle connections. */
const DEFAULT_KEEPALIVE_S = 15;

function hostVerifier(host: ResolvedSshHost, options: SshConnectOptions, fail: (err: Error) => void) {
  const hostId = knownHostId(host.hostKeyAlias ?? host.hostName, host.hostKeyAlias ? 22 : host.port);
  const files = [...host.userKnownHostsFiles, ...host.globalKnownHostsFiles, options.trustFile];
  return (key: Buffer, verify: (ok: boolean) => void) => {
    const entries = readKnownHostsFiles(files);
    const verdict = verifyHostKey(entries, hostId, key);
    const fingerprint = fingerprintOf(key);
    if (verdict.status === 'known') return verify(true);
    if (verdict.status === 'revoked') {
      fail(new SshSetupError(`the host key of ${hostId} (${fingerprint}) is marked @revoked in ${verdict.entry.file}:${verdict.entry.line}: refusing to connect. Ask the host's administrator for its current key.`));
      return verify(false);
    }
    if (verdict.status === 'changed') {
      fail(
        new SshSetupError(
          `HOST KEY CHANGED for ${hostId}: the server offered ${keyTypeOf(key)} ${fingerprint}, but ${verdict.entry.file}:${verdict.entry.line} holds a different ${verdict.entry.keyType} key (${fingerprintOf(verdict.entry.key)}). ` +
            `Someone may be intercepting the connection, or the host was reinstalled. Refusing to connect. If the change is expected, remove line ${verdict.entry.line} of ${verdict.entry.file} (ssh-keygen -R '${hostId}' -f ${verdict.entry.file}) and connect again.`,
        ),
      );
      return verify(false);
    }
    const accept = () => {
      addTrustedKey(options.trustFile, hostId, key);
      options.log.info(`ssh: trusted the ${keyTypeOf(key)} key ${fingerprint} of ${hostId} (stored in ${options.trustFile})`);
      verify(true);
    };
    if (host.strictHostKeyChecking === 'accept-new' || host.strictHostKeyChecking === 'no') return accept();
    if (host.strictHostKeyChecking === 'yes' || host.batchMode || !options.hostKeys) {
      fail(
        new SshSetupError(
          `the host key of ${hostId} is unknown (${keyTypeOf(key)} ${fingerprint}; not in ${files.join(', ')}) and cannot be confirmed here` +
            `${host.strictHostKeyChecking === 'yes' ? ' (StrictHostKeyChecking yes)' : ''}. Check the fingerprint with the host's administrator, then connect once with \`ssh ${host.alias}\` or pass --accept-new-host-key.`,
        ),
      );
      return verify(false);
    }
    options.hostKeys
      .confirmNewHostKey({ hostId, host: host.hostName, port: host.port, keyType: keyTypeOf(key), fingerprint, checkedFiles: files, trustFile: options.trustFile })
      .then(
        (ok) => {
          if (ok) return accept();
          fail(new SshSetupError(`the host key of ${hostId} (${fingerprint}) was not accepted: not connecting`));
          verify(false);
        },
        (err: Error) => {
          fail(new SshSetupError(`the host key of ${hostId} could not be confirmed: ${err.message}`));
          verify(false);
        },
      );
  };
}

const HOST_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

function preferredHostKeyAlgorithms(knownTypes: string[]): string[] {
  const preferred = knownTypes.flatMap(hostKeyAlgorithmsFor).filter((a) => HOST_KEY_ALGORITHMS.includes(a));
  return [...new Set([...preferred, ...HOST_KEY_ALGORITHMS])];
}

function connectOne(host: ResolvedSshHost, options: SshConnectOptions, sock?: ClientChannel): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let setupError: Error | undefined;
    const auth = planAuthentication(host, { credentials: options.credentials, agent: options.agent, log: options.log });
    const knownTypes = readKnownHostsFiles([...host.userKnownHostsFiles, ...host.globalKnownHostsFiles, options.trustFile])
      .filter((e) => e.marker === undefined)
      .filter((e) => verifyHostKey([e], knownHostId(host.hostKeyAlias ?? host.hostName, host.hostKeyAlias ? 22 : host.port), e.key).status === 'known')
      .map((e) => e.keyType);
    const where = `${host.user}@${host.hostName}:${host.port}`;
    const onAbort = () => {
      setupError = new Error(`connecting to ${where} was cancelled`);
      client.end();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const config: ConnectConfig = {
      host: host.hostName,
      port: host.port,
      username: host.user,
      sock,
      // Ask for the key type already on record, as OpenSSH does, so a host with several keys is not reported "new".
      algorithms: knownTypes.length ? { serverHostKey: preferredHostKeyAlgorithms(knownTypes) as never } : undefined,
      hostVerifier: hostVerifier(host, options, (err) => (setupError ??= err)),
      authHandler: auth.handler,
      keepaliveInterval: (host.serverAliveInterval || DEFAULT_KEEPALIVE_S) * 1000,
      keepaliveCountMax: host.serverAliveCountMax,
      readyTimeout: (host.connectTimeout ?? 20) * 1000,
    };
    client.once('ready', () => {
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      options.log.debug(`ssh: connected to ${where}`);
      resolve(client);
    });
    let settled = false;
    // ssh2 may emit more than one error (a dead socket, then "Connection lost before handshake"): the first decides,
    // later ones are only logged, and none is ever left unhandled.
    client.on('error', (err: Error & { level?: string }) => {
      if (settled) return options.log.debug(`ssh ${where}: ${err.message}`);
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      if (setupError) return reject(setupError);
      if (err.level === 'client-authentication') {
        return reject(
          new SshSetupError(
            `authentication failed for ${where}. Tried: ${auth.tried.length ? auth.tried.join('; ') : 'nothing (no agent, no key files found)'}. ` +
              'Load your key into ssh-agent (ssh-add), name it with IdentityFile in ~/.ssh/config, or check ~/.ssh/authorized_keys on the host.',
          ),
        );
      }
      if (/Timed out while waiting for handshake/.test(err.message)) {
        return reject(new Error(`no SSH answer from ${host.hostName}:${host.port} within ${(host.connectTimeout ?? 20)} s: check the address, the port and that the host is up`));
      }
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
        return reject(new Error(`the name ${host.hostName} does not resolve: check its spelling; \`serving-lab hosts list\` shows the hosts file and ssh config aliases`));
      }
      if (code === 'ECONNREFUSED') {
        return reject(new Error(`${host.hostName}:${host.port} refused the connection: check the port and that sshd runs on the host`));
      }
      reject(new Error(`cannot connect to ${where}: ${err.message}`));
    });
    client.connect(config);
  });
}

function forward(client: Client, host: string, port: number): Promise<ClientChannel> {
  return new Promise((resolve, reject) =>
    client.forwardOut('127.0.0.1', 0, host, port, (err, stream) => (err ? reject(new Error(`the jump host could not reach ${host}:${port}: ${err.message}`)) : resolve(stream))),
  );
}

interface ProxyExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

interface ProxyProcess {
  stream: Duplex;
  /** The command as run (tokens expanded). */
  command: string;
  /** How the command ended, once it has. */
  exited: Promise<ProxyExit>;
  stop(): void;
}

// The tokens OpenSSH expands into a ProxyCommand from names, with the rule each name must pass first.
const NAME_TOKENS: ReadonlyArray<[string, (host: ResolvedSshHost) => string | undefined]> = [
  ['%h', (host) => sshHostNameProblem(host.hostName)],
  ['%n', (host) => sshHostNameProblem(host.alias, 'ssh alias')],
  ['%r', (host) => sshUserProblem(host.user)],
];

/**
 * ProxyCommand as OpenSSH runs it: `sh -c` with %h, %p, %r, %n expanded, its stdin/stdout carrying the SSH stream.
 * The command comes from the user's own ssh config, the same trust ssh itself gives it; the names expanded into it
 * do not, so a name with shell metacharacters is refused (OpenSSH 9.6's rule), whichever resolver produced it.
 */
function spawnProxyCommand(host: ResolvedSshHost, log: Logger): ProxyProcess {
  for (const [token, problem] of NAME_TOKENS) {
    const why = host.proxyCommand!.includes(token) ? problem(host) : undefined;
    if (why) throw new SshSetupError(`ssh ${host.alias}: refusing to run the ProxyCommand "${host.proxyCommand}": ${token} would be ${why}`);
  }
  const command = expandTokens(host.proxyCommand!, { home: homedir(), localUser: userInfo().username, hostName: host.hostName, alias: host.alias, port: host.port, user: host.user });
  log.debug(`ssh ${host.alias}: ProxyCommand ${command}`);
  const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
  const exited = new Promise<ProxyExit>((resolve) => {
    child.once('error', (err) => resolve({ code: null, signal: null, stderr: err.message }));
    child.once('close', (code, signal) => resolve({ code, signal, stderr: stderr.trim() }));
  });
  const stream = Duplex.from({ readable: child.stdout, writable: child.stdin });
  return {
    stream,
    command,
    exited,
    stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid!, 'SIGTERM'); // the shell and what it started (ssh -W, nc, …)
      } catch {
        // already gone
      }
    },
  };
}

/** Connects through the ProxyCommand; when the command ends before the handshake, says which command and why. */
async function connectViaProxyCommand(host: ResolvedSshHost, options: SshConnectOptions): Promise<SshConnection> {
  const proxy = spawnProxyCommand(host, options.log);
  let client: Client;
  try {
    client = await connectOne(host, options, proxy.stream as unknown as ClientChannel);
  } catch (err) {
    // "Connection lost before handshake" usually means the command ended: wait briefly for its exit and stderr.
    const exit = err instanceof SshSetupError ? undefined : await Promise.race([proxy.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000).unref())]);
    proxy.stop();
    if (!exit) throw err;
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with ${exit.code}`;
    throw new Error(
      `ssh ${host.alias} (${host.user}@${host.hostName}:${host.port}): the ProxyCommand ${how} before the SSH handshake: ${proxy.command}\n` +
        (exit.stderr ? `its stderr:\n${exit.stderr}` : 'it printed nothing on stderr') +
        `\nRun the command by hand to see why, or fix ProxyCommand in the ssh config`,
    );
  }
  void proxy.exited.then((exit) => {
    if (exit.code) options.log.warn(`ssh ${host.alias}: ProxyCommand exited with ${exit.code}: ${exit.stderr.split('\n').pop() ?? ''}`);
  });
  client.once('close', proxy.stop);
  return { client, hops: [], end: () => (client.end(), proxy.stop()) };
}

/** Resolves and opens the jump chain (hop 1 directly, each next hop through the previous), then the target. */
export async function openSshConnection(host: ResolvedSshHost, options: SshConnectOptions): Promise<SshConnection> {
  if (host.proxyCommand && host.proxyJump.length === 0) return connectViaProxyCommand(host, options);
  const hops: Client[] = [];
  try {
    let via: Client | undefined;
    for (const spec of host.proxyJump) {
      const { host: name, user, port } = parseJumpHop(spec);
      const hop = await resolveSshHost(name, { ...options.resolve, user, port });
      // A hop's own ProxyJump would restart the chain; OpenSSH uses the listed order, so do we.
      const sock = via ? await forward(via, hop.hostName, hop.port) : undefined;
      via = await connectOne({ ...hop, proxyJump: [] }, options, sock);
      hops.push(via);
    }
    const sock = via ? await forward(via, host.hostName, host.port) : undefined;
    const client = await connectOne(host, options, sock);
    return {
      client,
      hops,
      end() {
        client.end();
        for (const h of [...hops].reverse()) h.end();
      },
    };
  } catch (err) {
    for (const h of hops) h.end();
    throw err;
  }
}
