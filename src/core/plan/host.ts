// Hosts (design doc §3): how Serving Lab reaches a GPU host and starts engines there.
import { z } from 'zod';
import { sshHostNameProblem, sshUserProblem } from '../shell/names';
import { describeInput, envVars, positiveInt, sshName, text } from './fields';

export const EngineInstall = z.strictObject({
  /** vllm: path of the `vllm` executable; sglang: the python interpreter; trtllm: `trtllm-serve`. */
  command: text('a command or path').optional(),
  docker: z
    .strictObject({
      image: text('a docker image'),
      extraArgs: z.array(z.string()).default([]),
    })
    .optional(),
  env: envVars().default({}),
});
export type EngineInstall = z.infer<typeof EngineInstall>;

export const SshTransport = z
  .strictObject({
    kind: z.literal('ssh'),
    /** An alias from ~/.ssh/config, resolved the way OpenSSH does. */
    alias: sshName('an ssh config alias', (n) => sshHostNameProblem(n, 'ssh alias')).optional(),
    host: sshName('a host name or address', (n) => sshHostNameProblem(n)).optional(),
    port: positiveInt('a port number').optional(),
    user: sshName('a user name', sshUserProblem).optional(),
    identityFile: text('a key file path').optional(),
    proxyJump: text('a ProxyJump spec such as "bastion" or "user@jump:22"').optional(),
  })
  .refine((t) => t.alias !== undefined || t.host !== undefined, { error: 'an ssh transport needs "alias" or "host"' });

export const LocalTransport = z.strictObject({ kind: z.literal('local') });

export const SimTransport = z.strictObject({
  kind: z.literal('sim'),
  gpu: text('a GPU model such as "A100-SXM4-80GB"').default('A100-SXM4-80GB'),
  count: positiveInt('a GPU count').default(4),
  /** Real-time speedup of the simulated engines; logged and reported so a result is never mistaken for a real one. */
  speedup: z.number().positive().default(1),
  /** A hidden host profile (sim/hostProfile.ts): this host's deviations from the simulator's defaults, for testing searches. */
  profile: text('a host profile file').optional(),
});

/** A word Slurm takes as a name (partition, account, QOS): passed as one argv word, but still no spaces or shell syntax. */
const slurmWord = (what: string, pattern = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/) =>
  z.string({ error: (iss) => `expected ${what}, got ${describeInput(iss.input)}` }).regex(pattern, { error: (iss) => `expected ${what}, got ${describeInput(iss.input)}` });

/**
 * A Slurm cluster: variants run as batch jobs submitted from the login node (over SSH by `alias`, or this machine
 * when there is none). Every value reaches sbatch as its own argv word, so the patterns only keep out what Slurm
 * itself would reject.
 */
export const SlurmTransport = z.strictObject({
  kind: z.literal('slurm'),
  /** The login node's ssh config alias; absent = this machine submits (it is a login node itself). */
  alias: sshName('an ssh config alias', (n) => sshHostNameProblem(n, 'ssh alias')).optional(),
  partition: slurmWord('a partition name such as "gpu"').optional(),
  account: slurmWord('an account name').optional(),
  qos: slurmWord('a QOS name').optional(),
  /** sbatch --time: minutes, MM:SS, HH:MM:SS, D-HH[:MM[:SS]]. */
  timeLimit: slurmWord('a time limit such as "02:00:00" or "1-00:00:00"', /^(\d+-)?\d+(:\d{1,2}){0,2}$/).default('01:00:00'),
  /** sbatch --gres, e.g. "gpu:4" or "gpu:a100:4". */
  gres: slurmWord('a GRES such as "gpu:4" or "gpu:a100:4"', /^[A-Za-z0-9_]+(:[A-Za-z0-9_.-]+)*(,[A-Za-z0-9_]+(:[A-Za-z0-9_.-]+)*)*$/),
  /** sbatch --constraint: node features, e.g. "a100&nvlink". */
  constraint: slurmWord('node features such as "a100" or "a100&ib"', /^[A-Za-z0-9_.&|,:*![\]()-]+$/).optional(),
  /** A container the engine runs in: an Apptainer image (*.sif) or an enroot/pyxis image ("nvcr.io#nvidia/vllm:25.09"). */
  container: slurmWord('a container image', /^[A-Za-z0-9_./:@#+~-]+$/).optional(),
  /** Jobs of one plan that may run (or wait) at once. */
  maxParallel: positiveInt('a job count').default(1),
});
export type SlurmTransport = z.infer<typeof SlurmTransport>;

export const Transport = z.discriminatedUnion('kind', [SshTransport, LocalTransport, SimTransport, SlurmTransport], {
  error: (iss) => `expected a transport with kind "ssh", "local", "sim" or "slurm", got ${describeInput(iss.input)}`,
});
export type Transport = z.infer<typeof Transport>;

export const HostSpec = z.strictObject({
  name: text('a host name'),
  transport: Transport,
  engines: z
    .strictObject({
      vllm: EngineInstall.optional(),
      sglang: EngineInstall.optional(),
      trtllm: EngineInstall.optional(),
    })
    .default({}),
  workDir: text('a directory').default('~/.serving-lab'),
});
export type HostSpec = z.infer<typeof HostSpec>;
export type HostSpecInput = z.input<typeof HostSpec>;
