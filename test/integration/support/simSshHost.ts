// A simulated GPU host behind a real sshd: the simulator's shims (vllm, python3, trtllm-serve, nvidia-smi) installed
// in a temp dir that is first on the sessions' PATH, an ssh config alias for it, its host key pre-trusted, and a
// hosts file naming the shims as the engine commands. Other integration tests import this to drive "a GPU server
// over SSH" end to end.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect } from '../../../src/core/remote/connect';
import { resolveHost } from '../../../src/core/remote/hosts';
import type { Transport } from '../../../src/core/remote/transport';
import type { HostSpec } from '../../../src/core/plan/schema';
import { installShims } from '../../../src/core/sim/shims';
import { silentLogger, type Logger } from '../../../src/core/logger';
import { startSshd, type SshdServer } from './sshd';

export const CLI_PATH = resolve(__dirname, '../../../dist/cli.js');

export interface SimSshHost {
  sshd: SshdServer;
  /** The ssh config alias and hosts-file name of the host. */
  name: string;
  /** Files to pass as --ssh-config / --hosts-file (or ConnectOptions.sshConfig / HostListOptions.hostsFile). */
  sshConfig: string;
  hostsFile: string;
  /** known_hosts holding the server's key (named by the ssh config's UserKnownHostsFile). */
  knownHosts: string;
  shimDir: string;
  workDir: string;
  dir: string;
  host: HostSpec;
  /** A fresh SSH transport to the host (pre-trusted key, plain user key). */
  connect(log?: Logger): Promise<Transport>;
  stop(): Promise<void>;
}

export interface SimSshHostOptions {
  gpu?: string;
  count?: number;
  /** Simulated time runs this much faster (engine start-up of ~50 s takes ~1 s at 50). */
  speedup?: number;
  name?: string;
  /** false: the host's sshd has no sftp subsystem. */
  sftp?: boolean;
}

/** Process group ids of the runs under a work dir (from their pgid files). */
export function runGroups(workDir: string): number[] {
  const runs = join(workDir, 'runs');
  if (!existsSync(runs)) return [];
  return readdirSync(runs)
    .map((id) => join(runs, id, 'pgid'))
    .filter((f) => existsSync(f))
    .map((f) => Number(readFileSync(f, 'utf8').trim()))
    .filter((n) => n > 1);
}

/** Takes the machine away as a crash would: its sshd and open sessions, then every engine run's process group. */
export async function killSimSshHost(host: SimSshHost): Promise<void> {
  await host.sshd.stop();
  for (const pgid of runGroups(host.workDir)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export async function startSimSshHost(options: SimSshHostOptions = {}): Promise<SimSshHost> {
  const dir = mkdtempSync(join(tmpdir(), 'serving-lab-simhost-'));
  const shimDir = join(dir, 'shims');
  await installShims(shimDir, { gpu: options.gpu ?? 'A100-SXM4-80GB', count: options.count ?? 4, speedup: options.speedup ?? 50, cliPath: CLI_PATH });
  const sshd = await startSshd({ env: { PATH: `${shimDir}:/usr/local/bin:/usr/bin:/bin` }, sftp: options.sftp });
  const name = options.name ?? 'gpubox';
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `${sshd.knownHostsLine}\n`);
  const sshConfig = join(dir, 'ssh_config');
  writeFileSync(
    sshConfig,
    [`Host ${name}`, '  HostName 127.0.0.1', `  Port ${sshd.port}`, `  User ${sshd.user}`, `  IdentityFile ${sshd.keys.plain.path}`, '  IdentitiesOnly yes', `  UserKnownHostsFile ${knownHosts}`, ''].join('\n'),
  );
  const workDir = join(dir, 'work');
  const hostsFile = join(dir, 'serving-lab.hosts.yaml');
  writeFileSync(
    hostsFile,
    [
      'hosts:',
      `  - name: ${name}`,
      `    transport: { kind: ssh, alias: ${name} }`,
      `    workDir: ${workDir}`,
      '    engines:',
      `      vllm: { command: ${join(shimDir, 'vllm')} }`,
      `      sglang: { command: ${join(shimDir, 'python3')} }`,
      `      trtllm: { command: ${join(shimDir, 'trtllm-serve')} }`,
      '',
    ].join('\n'),
  );
  const host = resolveHost(name, { cwd: dir, hostsFile });
  const opened: Transport[] = [];
  return {
    sshd,
    name,
    sshConfig,
    hostsFile,
    knownHosts,
    shimDir,
    workDir,
    dir,
    host,
    async connect(log = silentLogger) {
      const t = await connect(host, { sshConfig, log, trustFile: join(dir, 'trusted_keys') });
      opened.push(t);
      return t;
    },
    async stop() {
      for (const t of opened) await t.close();
      // Engines a failed test left behind: end their process groups so nothing outlives the test.
      for (const pgid of runGroups(workDir)) {
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await sshd.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
