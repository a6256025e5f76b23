// HostSpec → Transport: `ssh` hosts through ssh2 (resolved like OpenSSH), `local` as child processes, and the
// simulated host as the local transport with the simulator's shims (vllm, python3, trtllm-serve, nvidia-smi) first on
// PATH.
import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import type { HostSpec } from '../plan/schema';
import { resolveSshHost } from '../ssh/config';
import type { CredentialProvider, HostKeyPrompter } from '../ssh/types';
import { trustFilePath } from './hosts';
import { LocalTransport } from './local';
import { SshTransport } from './ssh';
import type { Transport } from './transport';
import { connectSim } from './simHost';

export interface ConnectOptions {
  credentials?: CredentialProvider;
  hostKeys?: HostKeyPrompter;
  log?: Logger;
  signal?: AbortSignal;
  /** `ssh -F FILE` (CLI --ssh-config, the extension's ssh config setting). */
  sshConfig?: string;
  /** Serving Lab's trust file for accepted host keys; default ~/.serving-lab/known_hosts. */
  trustFile?: string;
  /** ssh-agent socket; default IdentityAgent / SSH_AUTH_SOCK. */
  agent?: string;
  /** The CLI script the simulator's shims run (`node <cliPath> sim …`); default: the running CLI. */
  simCliPath?: string;
}

/** Opens a transport to the host (for ssh: connected and authenticated, host key verified). */
export async function connect(host: HostSpec, options: ConnectOptions = {}): Promise<Transport> {
  const log = options.log ?? silentLogger;
  const t = host.transport;
  if (t.kind === 'local') return new LocalTransport(`local (${host.name})`);
  if (t.kind === 'sim') return connectSim(host, { gpu: t.gpu, count: t.count, speedup: t.speedup, cliPath: options.simCliPath, log, ...(t.profile ? { profile: t.profile } : {}) });
  // A Slurm host is reached at its login node, where sbatch/squeue/scancel run (this machine when it names none).
  if (t.kind === 'slurm') return t.alias ? connect({ ...host, transport: { kind: 'ssh', alias: t.alias } }, options) : new LocalTransport(`local login node (${host.name})`);
  // With both alias and host, the host is the address and the alias names the config: resolved together (and both
  // checked) like `ssh -o HostName=HOST ALIAS`.
  const resolveOptions = { configFile: options.sshConfig, user: t.user, port: t.port, hostName: t.alias ? t.host : undefined };
  const resolved = await resolveSshHost(t.alias ?? t.host!, resolveOptions);
  if (t.identityFile) resolved.identityFiles = [t.identityFile, ...resolved.identityFiles.filter((f) => f !== t.identityFile)];
  if (t.proxyJump) resolved.proxyJump = t.proxyJump.toLowerCase() === 'none' ? [] : t.proxyJump.split(',').map((s) => s.trim());
  const transport = new SshTransport(
    resolved,
    { credentials: options.credentials, hostKeys: options.hostKeys, log, signal: options.signal, trustFile: options.trustFile ?? trustFilePath(), agent: options.agent, resolve: { configFile: options.sshConfig } },
    host.name,
  );
  await transport.client(options.signal);
  return transport;
}
