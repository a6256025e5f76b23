// A real OpenSSH server on 127.0.0.1 for integration tests: throwaway config, host key and user keys in a temp dir,
// a free port, and a cleanup that ends every process it started. Works as root (the CI machine) and as a normal user
// (sshd then only lets that user in, which is the user the tests connect as).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { homedir, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export const SSHD_PATH = '/usr/sbin/sshd';

export interface UserKey {
  /** Private key file. */
  path: string;
  publicLine: string;
  passphrase?: string;
}

export interface SshdOptions {
  /** Environment every session gets (sshd SetEnv), e.g. PATH with the simulator's shims first. */
  env?: Record<string, string>;
  /** Keys allowed to log in; by default a fresh plain ed25519 key and a passphrase-protected one. */
  authorizedKeys?: UserKey[];
  /** Extra sshd_config lines. */
  extraConfig?: string[];
  /** false: no `Subsystem sftp` line, as on hardened hosts and some containers (files must go over exec). */
  sftp?: boolean;
}

export interface SshdServer {
  host: '127.0.0.1';
  port: number;
  user: string;
  home: string;
  dir: string;
  /** "ssh-ed25519 AAAA…" of the server's host key. */
  hostKeyLine: string;
  /** A known_hosts line for this server: "[127.0.0.1]:PORT ssh-ed25519 AAAA…". */
  knownHostsLine: string;
  /** A plain (unencrypted) ed25519 user key and a passphrase-protected one, both authorized. */
  keys: { plain: UserKey; encrypted: UserKey };
  pid: number;
  /** sshd's log (stderr with -e). */
  log(): string;
  /** Ends the per-connection sshd processes (children of the listener), dropping every open connection. */
  killSessions(): number;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export function makeKey(dir: string, name: string, passphrase = ''): UserKey {
  const path = join(dir, name);
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', name, '-f', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  return { path, publicLine: readFileSync(`${path}.pub`, 'utf8').trim(), passphrase: passphrase || undefined };
}

/** Process ids whose parent is `pid` (read from /proc, so nothing else is matched by name). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

async function waitForBanner(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}: ${log()}`);
    const banner = await new Promise<string>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.setTimeout(1000);
      socket.once('data', (d) => {
        resolve(d.toString());
        socket.destroy();
      });
      socket.once('error', () => resolve(''));
      socket.once('timeout', () => {
        socket.destroy();
        resolve('');
      });
    });
    if (banner.startsWith('SSH-')) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sshd did not answer on port ${port}: ${log()}`);
}

export async function startSshd(options: SshdOptions = {}): Promise<SshdServer> {
  const dir = mkdtempSync(join(tmpdir(), 'serving-lab-sshd-'));
  chmodSync(dir, 0o755);
  const user = userInfo().username;
  const home = homedir();
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  const hostKeyLine = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
  const keys = { plain: makeKey(dir, 'id_plain'), encrypted: makeKey(dir, 'id_encrypted', 'correct horse battery') };
  const authorized = options.authorizedKeys ?? [keys.plain, keys.encrypted];
  writeFileSync(join(dir, 'authorized_keys'), authorized.map((k) => k.publicLine).join('\n') + '\n', { mode: 0o600 });
  const port = await freePort();
  const root = process.getuid?.() === 0;
  // Privilege separation needs this directory when sshd starts as root (Debian creates it only via systemd).
  if (root && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKey}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'StrictModes no',
    'UsePAM no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    root ? 'PermitRootLogin prohibit-password' : '',
    'AllowTcpForwarding yes',
    'PrintMotd no',
    'LogLevel VERBOSE',
    'MaxStartups 50',
    options.sftp === false ? '' : 'Subsystem sftp internal-sftp',
    ...Object.entries(options.env ?? {}).map(([k, v]) => `SetEnv ${k}="${v}"`),
    ...(options.extraConfig ?? []),
  ].filter(Boolean);
  const configPath = join(dir, 'sshd_config');
  writeFileSync(configPath, config.join('\n') + '\n');
  let logText = '';
  const child = spawn(SSHD_PATH, ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  child.stderr!.on('data', (d: Buffer) => (logText += d.toString()));
  const log = () => logText;
  try {
    await waitForBanner(port, child, log);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const pid = child.pid!;
  // If the test process ends without calling stop(), the server must not outlive it.
  const killOnExit = killGroupOnExit(pid);
  return {
    host: '127.0.0.1',
    port,
    user,
    home,
    dir,
    hostKeyLine,
    knownHostsLine: `[127.0.0.1]:${port} ${hostKeyLine}`,
    keys,
    pid,
    log,
    killSessions() {
      const kids = childPids(pid);
      for (const k of kids) {
        try {
          process.kill(k, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      return kids.length;
    },
    async stop() {
      for (const k of childPids(pid)) {
        try {
          process.kill(k, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        try {
          process.kill(-pid, 'SIGTERM');
        } catch {
          // already gone
        }
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) process.kill(-pid, 'SIGKILL');
      }
      process.off('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface SshAgent {
  sock: string;
  pid: number;
  stop(): void;
}

/** A real ssh-agent on a throwaway socket, holding the given keys (added with ssh-add). */
export async function startAgent(keys: UserKey[]): Promise<SshAgent> {
  const dir = mkdtempSync(join(tmpdir(), 'serving-lab-agent-'));
  const sock = join(dir, 'agent.sock');
  const child = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore', detached: true });
  const deadline = Date.now() + 5000;
  while (!existsSync(sock)) {
    if (Date.now() > deadline) throw new Error('ssh-agent did not create its socket');
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const key of keys) {
    // ssh-add reads a passphrase only from a TTY or SSH_ASKPASS: give it a tiny askpass script.
    const askpass = join(dir, 'askpass');
    writeFileSync(askpass, `#!/bin/sh\nprintf '%s\\n' '${(key.passphrase ?? '').replace(/'/g, `'\\''`)}'\n`, { mode: 0o700 });
    const r = spawnSync('ssh-add', [key.path], {
      env: { ...process.env, SSH_AUTH_SOCK: sock, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (r.status !== 0) throw new Error(`ssh-add failed: ${r.stderr}`);
  }
  const pid = child.pid!;
  const killOnExit = killGroupOnExit(pid);
  return {
    sock,
    pid,
    stop() {
      killOnExit();
      process.off('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Kills a process group when the test process exits; returns the killer, to call early and then unregister. */
function killGroupOnExit(pid: number): () => void {
  const kill = () => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', kill);
  return kill;
}
