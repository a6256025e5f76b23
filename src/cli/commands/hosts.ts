// `serving-lab hosts list|check`, and the host flags + connection helper every host-facing command shares
// (engine, bench, tune): --hosts-file, --ssh-config, --accept-new-host-key, TTY prompts for passphrases and new keys.
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { checkHost, type HostCheck } from '../../core/remote/check';
import { connect } from '../../core/remote/connect';
import { HostError, listHosts, resolveHost } from '../../core/remote/hosts';
import { listPartitions, slurmSummary, type PartitionGpus } from '../../core/remote/slurm';
import type { Transport } from '../../core/remote/transport';
import type { HostSpec } from '../../core/plan/schema';
import type { CredentialProvider, HostKeyPrompter } from '../../core/ssh/types';
import { CliError, type FlagSpec } from '../args';
import { jsonFlag, type CliCommand, type CommandContext } from '../command';

export const hostsFileFlag: FlagSpec = { name: 'hosts-file', type: 'string', metavar: 'FILE', description: 'hosts file to read instead of ./serving-lab.hosts.yaml' };
export const sshConfigFlag: FlagSpec = { name: 'ssh-config', type: 'string', metavar: 'FILE', description: 'ssh config file to use instead of ~/.ssh/config (like ssh -F)' };
export const acceptNewHostKeyFlag: FlagSpec = {
  name: 'accept-new-host-key',
  type: 'boolean',
  description: 'trust a host key seen for the first time without asking (a changed key is still refused)',
};
/** The flags of every command that connects to a host. */
export const HOST_FLAGS: FlagSpec[] = [hostsFileFlag, sshConfigFlag, acceptNewHostKeyFlag];

function ask(question: string, hidden: boolean): Promise<string | undefined> {
  return new Promise((done) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    let muted = false;
    const internal = rl as unknown as { _writeToOutput(s: string): void };
    const write = internal._writeToOutput.bind(rl);
    internal._writeToOutput = (s: string) => {
      if (!muted) write(s);
    };
    rl.question(question, (answer) => {
      rl.close();
      if (hidden) process.stderr.write('\n');
      done(answer);
    });
    muted = hidden;
    rl.once('SIGINT', () => {
      rl.close();
      done(undefined);
    });
  });
}

/** Passphrases and passwords typed on the terminal (none without a TTY: those methods are then skipped). */
export function ttyCredentials(interactive: boolean): CredentialProvider | undefined {
  if (!interactive) return undefined;
  return {
    async get(request) {
      const again = request.attempt > 1 ? ' (wrong, try again)' : '';
      const answer = await ask(`${request.prompt}${again}: `, !request.echo);
      return answer === '' && request.kind === 'passphrase' ? undefined : answer;
    },
  };
}

/** New host keys confirmed on the terminal as OpenSSH does; without a TTY only --accept-new-host-key trusts them. */
export function ttyHostKeys(interactive: boolean, acceptNew: boolean): HostKeyPrompter | undefined {
  if (acceptNew) return { confirmNewHostKey: async () => true };
  if (!interactive) return undefined;
  return {
    async confirmNewHostKey(key) {
      process.stderr.write(`The authenticity of host '${key.hostId}' can't be established.\n${key.keyType} key fingerprint is ${key.fingerprint}.\n`);
      for (;;) {
        const answer = (await ask(`Trust this key and continue connecting (yes/no)? `, false))?.trim().toLowerCase();
        if (answer === 'yes') return true;
        if (answer === undefined || answer === 'no' || answer === 'n') return false;
        process.stderr.write('Please type "yes" or "no".\n');
      }
    },
  };
}

export function hostListOptions(ctx: CommandContext) {
  return { cwd: ctx.cwd, hostsFile: ctx.args.flags['hostsFile'] as string | undefined, sshConfig: ctx.args.flags['sshConfig'] as string | undefined };
}

/** Resolves a host name and connects to it with the CLI's prompts; errors become CliError sentences. */
export async function openHost(ctx: CommandContext, name: string): Promise<{ host: HostSpec; transport: Transport }> {
  try {
    const host = resolveHost(name, hostListOptions(ctx));
    const sshConfig = ctx.args.flags['sshConfig'] as string | undefined;
    const transport = await connect(host, {
      credentials: ttyCredentials(ctx.interactive),
      hostKeys: ttyHostKeys(ctx.interactive, Boolean(ctx.args.flags['acceptNewHostKey'])),
      log: ctx.log,
      signal: ctx.signal,
      sshConfig: sshConfig ? resolve(ctx.cwd, sshConfig) : undefined,
      simCliPath: process.argv[1] ? resolve(process.argv[1]) : undefined,
    });
    return { host, transport };
  } catch (err) {
    if (err instanceof HostError) throw new CliError(err.message);
    throw new CliError(`cannot connect to ${name}: ${(err as Error).message}`);
  }
}

export const hostsList: CliCommand = {
  path: ['hosts', 'list'],
  summary: 'List the hosts you can use: the simulated host, the hosts file, and your ssh config aliases.',
  flags: [jsonFlag, hostsFileFlag, sshConfigFlag],
  positionals: [],
  async run(ctx) {
    let hosts;
    try {
      hosts = listHosts(hostListOptions(ctx));
    } catch (err) {
      throw new CliError((err as Error).message);
    }
    if (ctx.args.flags['json']) {
      ctx.stdout(`${JSON.stringify(hosts, null, 2)}\n`);
      return;
    }
    const rows = hosts.map((h) => {
      const t = h.spec.transport;
      const how = t.kind === 'sim' ? `simulated ${t.count}×${t.gpu}` : t.kind === 'local' ? 'this machine' : t.kind === 'slurm' ? slurmSummary(t) : `ssh ${t.user ? `${t.user}@` : ''}${t.alias ?? t.host}${t.port ? `:${t.port}` : ''}`;
      return [h.name, h.source, how, h.origin ?? ''];
    });
    const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length), ['NAME', 'SOURCE', 'TRANSPORT'][i]!.length));
    const fmt = (r: string[]) => `${r.slice(0, 3).map((c, i) => c.padEnd(widths[i]!)).join('  ')}  ${r[3]}`.trimEnd();
    ctx.stdout(`${fmt(['NAME', 'SOURCE', 'TRANSPORT', 'DEFINED AT'])}\n${rows.map(fmt).join('\n')}\n`);
  },
};

export function formatHostCheck(c: HostCheck): string {
  const lines = [`${c.name}: ${c.transport}${c.simulated ? ' — SIMULATED host (no real GPU)' : ''}`];
  lines.push(`  GPUs: ${c.gpus.length === 0 ? 'none found' : c.gpus.length}${c.gpuSource ? ` per job, from ${c.gpuSource}` : ''}`);
  // GPUs a Slurm job would get are not in use yet: their memory is the model's, where it is known.
  const memory = (g: HostCheck['gpus'][number]) => (g.memoryUsedMiB !== undefined ? `${g.memoryUsedMiB} / ${g.memoryTotalMiB} MiB used` : g.memoryTotalMiB > 0 ? `${g.memoryTotalMiB} MiB` : '');
  for (const g of c.gpus) lines.push(`    [${g.index}] ${g.name}  ${memory(g)}`.trimEnd());
  if (c.gpus.length > 0) lines.push(`  simulator GPU: ${c.simulatorGpu ?? `none in the catalog for "${c.gpus[0]!.name}" (\`serving-lab sim gpus\` lists them)`}`);
  lines.push(`  driver ${c.driverVersion ?? 'unknown'}, CUDA ${c.cudaVersion ?? 'unknown'}`);
  lines.push('  engines:');
  for (const e of c.engines) {
    lines.push(`    ${e.engine.padEnd(7)} ${e.usable ? 'usable' : 'NOT usable'}  ${e.via} ${e.target}${e.version ? `  version ${e.version}` : ''}${e.problem ? `  (${e.problem})` : ''}`);
  }
  lines.push(`  work dir: ${c.workDir}${c.workDirWritable ? '' : ' (NOT writable)'}`);
  for (const n of c.notes) lines.push(`  note: ${n}`);
  for (const p of c.problems) lines.push(`  problem: ${p}`);
  return `${lines.join('\n')}\n`;
}

function formatPartitions(partitions: PartitionGpus[]): string {
  const lines = ['  Slurm partitions (sinfo):'];
  for (const p of partitions) {
    const gpus = p.gpus.map((g) => `${g.perNode}× ${g.type} per node`).join(', ') || 'no GPUs';
    lines.push(`    ${p.partition}${p.isDefault ? ' (default)' : ''}  ${p.available ? 'up' : 'DOWN'}  ${p.nodes} node${p.nodes === 1 ? '' : 's'} (${p.states.join(', ')})  ${gpus}  time limit ${p.timeLimit}`);
  }
  return `${lines.join('\n')}\n`;
}

export const hostsCheck: CliCommand = {
  path: ['hosts', 'check'],
  summary: 'Connect to a host and report its GPUs, driver/CUDA, usable engines with versions, and the work dir (a Slurm host: also its partitions and their GPUs).',
  flags: [jsonFlag, ...HOST_FLAGS],
  positionals: [{ name: 'name', description: 'host name (see `serving-lab hosts list`), ssh alias, or user@host' }],
  async run(ctx) {
    const { host, transport } = await openHost(ctx, ctx.args.positionals[0]!);
    try {
      const report = await checkHost(transport, host, ctx.signal);
      // A Slurm host: the GPUs of the nodes its jobs run on and the login node's engines, plus the partitions a job
      // can go to with their GPUs (sinfo).
      if (host.transport.kind === 'slurm') {
        const partitions = await listPartitions(transport, ctx.signal).catch((err: Error) => {
          report.problems.push(err.message);
          return [];
        });
        ctx.stdout(ctx.args.flags['json'] ? `${JSON.stringify({ ...report, partitions }, null, 2)}\n` : `${formatHostCheck(report)}${formatPartitions(partitions)}`);
        return report.problems.length === 0 && report.engines.some((e) => e.usable) ? 0 : 1;
      }
      ctx.stdout(ctx.args.flags['json'] ? `${JSON.stringify(report, null, 2)}\n` : formatHostCheck(report));
      return report.problems.length === 0 && report.engines.some((e) => e.usable) ? 0 : 1;
    } finally {
      await transport.close();
    }
  },
};
