// Which GPUs a Slurm host's jobs get, learnt where the jobs run and not on the login node (which often has no GPU, or
// another model): the partition's nodes as sinfo lists them — a GRES with a type ("gpu:a100:4") or a node feature
// naming the model ("a100") — and where neither names it, nvidia-smi on a compute node of the partition through a
// short srun. The probe is given up at once when no node is free (a note, never a wait for the queue).
import type { GpuInfo, SlurmTransport } from '../plan/schema';
import { findGpu } from '../sim/gpus';
import { cudaVersionOf, GPU_QUERY, parseGpuCsv } from './gpuQuery';
import { parseGpuGres } from './slurm';
import type { Transport } from './transport';

export interface SlurmNode {
  name: string;
  partition: string;
  /** The partition jobs go to without --partition. */
  isDefault: boolean;
  gpus: Array<{ type?: string; count: number }>;
  features: string[];
  state: string;
}

export interface SlurmGpuInventory {
  /** The GPUs one job gets (as many as its gres asks for), named as nvidia-smi would where the model is known. */
  gpus: GpuInfo[];
  driverVersion?: string;
  cudaVersion?: string;
  /** Where the GPUs were learnt ("GRES type a100 of partition gpu's nodes n1, n2", "nvidia-smi on node n3 …"). */
  source: string;
  /** What is not known and why (the probe skipped on a busy partition); the facts are still usable. */
  notes: string[];
  problems: string[];
}

/** The GPU name results carry for a model no source named. */
export const UNKNOWN_GPU = 'unknown';
/** Seconds the probe waits for a free node before it gives up (srun --immediate). */
const PROBE_IMMEDIATE_S = 5;
/** The whole probe, allocation and nvidia-smi included. */
const PROBE_TIMEOUT_MS = 60_000;
export const PROBE_JOB_NAME = 'serving-lab-gpu-probe';

/**
 * Run by srun on the allocated node: the node's name, then nvidia-smi's rows for the job's GPUs (CUDA_VISIBLE_DEVICES
 * when Slurm set indices), its exit code, and the banner's CUDA line. The query fields come in as "$1".
 */
const PROBE = `echo "node $(hostname -s 2>/dev/null || hostname)"
case "\${CUDA_VISIBLE_DEVICES:-}" in
  '' | *[!0-9,]*) nvidia-smi --query-gpu="$1" --format=csv,noheader,nounits ;;
  *) nvidia-smi --query-gpu="$1" --format=csv,noheader,nounits -i "$CUDA_VISIBLE_DEVICES" ;;
esac
echo "nvidia-smi exit $?"
nvidia-smi 2>/dev/null | grep 'CUDA Version' || true`;

/** Parses `sinfo -h -N -o '%N|%P|%G|%f|%T'` (one line per node and partition). */
export function parseSinfoNodes(text: string): SlurmNode[] {
  const nodes: SlurmNode[] = [];
  for (const line of text.split('\n')) {
    const [name, partition, gres, features, state] = line.trim().split('|');
    if (!name || !partition || state === undefined) continue;
    nodes.push({
      name,
      partition: partition.replace(/\*$/, ''),
      isDefault: partition.endsWith('*'),
      gpus: parseGpuGres(gres ?? ''),
      features: !features || features === '(null)' ? [] : features.split(','),
      state,
    });
  }
  return nodes;
}

/**
 * Whether a node's features satisfy an sbatch --constraint: "a|b" either, "a&b" (or "a,b") both, "!a" not a;
 * brackets and node counts ("[a*2&b*4]") are read as plain features.
 */
export function meetsConstraint(features: readonly string[], constraint: string): boolean {
  const plain = constraint.replace(/[[\]()]/g, '').replace(/\*\d+/g, '');
  return plain.split('|').some((all) =>
    all
      .split(/[&,]/)
      .filter((f) => f !== '')
      .every((f) => (f.startsWith('!') ? !features.includes(f.slice(1)) : features.includes(f))),
  );
}

/** Node states where the scheduler starts no job. */
const UNUSABLE = /^(down|drain|drained|fail|failing|future|inval|maint|unknown|not_responding|power_down|powered_down)/i;

/**
 * The nodes a job of the host may land on: of its partition (the default one when it names none), with the GPUs its
 * gres asks for (of that type when it names one) and the features its constraint asks for, and not down or drained.
 */
export function candidateNodes(nodes: readonly SlurmNode[], t: SlurmTransport): SlurmNode[] {
  const wanted = parseGpuGres(t.gres)[0];
  return nodes.filter((n) => {
    if (t.partition ? n.partition !== t.partition : !n.isDefault) return false;
    if (UNUSABLE.test(n.state)) return false;
    if (t.constraint && !meetsConstraint(n.features, t.constraint)) return false;
    if (!wanted) return true;
    const have = n.gpus.filter((g) => !wanted.type || g.type?.toLowerCase() === wanted.type.toLowerCase()).reduce((sum, g) => sum + g.count, 0);
    return have >= wanted.count;
  });
}

/** The catalog GPU a GRES type or feature names ("a100", "h100", "nvidia_a100-sxm4-80gb" as Slurm's AutoDetect writes). */
export function gpuOfType(type: string) {
  return findGpu(type) ?? findGpu(type.replace(/^(nvidia|gpu)[-_ ]?/i, ''));
}

/** The GPU model a node's GRES type names, else one of its features. */
function modelOfNode(node: SlurmNode, wantedType: string | undefined): { model: string; from: 'GRES type' | 'node feature' } | undefined {
  const typed = wantedType ?? node.gpus.find((g) => g.type)?.type;
  if (typed) return { model: typed, from: 'GRES type' };
  const feature = node.features.find((f) => gpuOfType(f));
  return feature ? { model: feature, from: 'node feature' } : undefined;
}

const listNames = (nodes: readonly SlurmNode[]) => (nodes.length <= 4 ? nodes.map((n) => n.name).join(', ') : `${nodes.slice(0, 3).map((n) => n.name).join(', ')} and ${nodes.length - 3} more`);

/** `count` GPUs of a model: the catalog's nvidia-smi name and memory where it knows the model, else the name as given. */
function gpusOf(model: string, count: number): GpuInfo[] {
  const known = gpuOfType(model);
  return Array.from({ length: count }, (_, index) => ({ index, name: known?.smiName ?? model, memoryTotalMiB: known?.memoryMiB ?? 0 }));
}

/** The probe's srun: the job's resources (partition, account, QOS, gres, constraint), one minute, now or never. */
function probeArgv(t: SlurmTransport): string[] {
  const argv = ['srun', `--immediate=${PROBE_IMMEDIATE_S}`, '--quiet', `--job-name=${PROBE_JOB_NAME}`, '--nodes=1', '--ntasks=1', `--gres=${t.gres}`, '--time=1'];
  if (t.partition) argv.push(`--partition=${t.partition}`);
  if (t.account) argv.push(`--account=${t.account}`);
  if (t.qos) argv.push(`--qos=${t.qos}`);
  if (t.constraint) argv.push(`--constraint=${t.constraint}`);
  return [...argv, 'sh', '-c', PROBE, 'sh', GPU_QUERY];
}

/** nvidia-smi on a compute node of the partition, inside a one-minute job step that must start at once. */
async function probeNode(transport: Transport, t: SlurmTransport, count: number, why: string, signal?: AbortSignal): Promise<SlurmGpuInventory> {
  const where = t.partition ? `partition ${t.partition}` : 'the default partition';
  const unknown = (note: string): SlurmGpuInventory => ({ gpus: gpusOf(UNKNOWN_GPU, count), source: `the host's gres ${t.gres}; model unknown`, notes: [note], problems: [] });
  const r = await transport.exec(probeArgv(t), { signal: AbortSignal.any([AbortSignal.timeout(PROBE_TIMEOUT_MS), ...(signal ? [signal] : [])]) }).catch((err: Error) => {
    if (signal?.aborted) throw err;
    return { exitCode: null, stdout: '', stderr: err.message };
  });
  const node = /^node (\S+)/m.exec(r.stdout)?.[1];
  if (!node) {
    const said = r.stderr.trim().split('\n').pop() ?? '';
    const busy = r.exitCode !== null ? `could not start at once (${said || `exit ${r.exitCode}`})` : `did not finish within ${PROBE_TIMEOUT_MS / 1000} s`;
    return unknown(`GPU model unknown: ${why}, and the srun probe on ${where} ${busy}, so it was skipped. Name the type in gres (e.g. "gpu:a100:${count}"), or run \`serving-lab hosts check\` when a node of the partition is free`);
  }
  const smiExit = Number(/^nvidia-smi exit (\d+)/m.exec(r.stdout)?.[1]);
  const { gpus, driverVersion } = parseGpuCsv(r.stdout);
  if (gpus.length === 0) {
    const problem = smiExit === 127 ? `nvidia-smi not found on node ${node} (the srun probe's PATH): no NVIDIA driver there?` : `nvidia-smi failed on node ${node} (exit ${smiExit}): ${r.stderr.trim().split('\n').pop() ?? ''}`;
    return { ...unknown(`GPU model unknown: ${why}, and the srun probe could not read it`), problems: [problem] };
  }
  const cudaVersion = cudaVersionOf(r.stdout);
  return {
    gpus: gpus.slice(0, count).map((g, index) => ({ ...g, index })),
    ...(driverVersion ? { driverVersion } : {}),
    ...(cudaVersion ? { cudaVersion } : {}),
    source: `nvidia-smi on node ${node} of ${where} through srun (${why})`,
    notes: [],
    problems: [],
  };
}

/** The GPUs a job of this Slurm host gets: from the partition's nodes, or nvidia-smi on one of them. */
export async function slurmGpuInventory(transport: Transport, t: SlurmTransport, signal?: AbortSignal): Promise<SlurmGpuInventory> {
  const where = t.partition ? `partition ${t.partition}` : 'the default partition';
  const wanted = parseGpuGres(t.gres)[0];
  if (!wanted) return { gpus: [], source: `gres ${t.gres}`, notes: [], problems: [`gres "${t.gres}" asks for no GPU: write it as "gpu:4" or "gpu:a100:4"`] };
  const r = await transport.exec(['sinfo', '-h', '-N', '-o', '%N|%P|%G|%f|%T'], { signal });
  if (r.exitCode !== 0) return { gpus: [], source: 'sinfo', notes: [], problems: [`sinfo failed on the login node: ${r.stderr.trim() || `exit ${r.exitCode}`}; is this a Slurm login node?`] };
  const nodes = candidateNodes(parseSinfoNodes(r.stdout), t);
  if (nodes.length === 0) {
    return { gpus: [], source: `sinfo (${where})`, notes: [], problems: [`no node of ${where} that is up has the ${t.gres}${t.constraint ? ` and the features ${t.constraint}` : ''} a job asks for: see the partitions below, or \`sinfo -N -o "%N %P %G %f %T"\``] };
  }
  const models = nodes.map((n) => ({ node: n, named: modelOfNode(n, wanted.type) }));
  const byModel = new Map<string, SlurmNode[]>();
  for (const { node, named } of models) {
    if (!named) continue;
    const model = gpuOfType(named.model)?.id ?? named.model;
    byModel.set(model, [...(byModel.get(model) ?? []), node]);
  }
  if (byModel.size > 1) {
    const kinds = [...byModel].map(([model, ns]) => `${model} on ${listNames(ns)}`).join('; ');
    return { gpus: gpusOf(`mixed (${[...byModel.keys()].join(' or ')})`, wanted.count), source: `GRES and features of ${where}'s nodes`, notes: [], problems: [`the nodes of ${where} have different GPUs (${kinds}): a job may land on any, so its numbers are not comparable; name the type in gres (e.g. "gpu:${[...byModel.keys()][0]}:${wanted.count}") or set a constraint`] };
  }
  const untyped = models.filter((m) => !m.named).map((m) => m.node);
  if (untyped.length === 0) {
    const named = models[0]!.named!;
    const known = gpuOfType(named.model);
    return { gpus: gpusOf(named.model, wanted.count), source: `${named.from} ${named.model} of ${where}'s nodes ${listNames(nodes)}${known ? ` (the catalog's ${known.smiName})` : ''}; driver not known without a probe`, notes: [], problems: [] };
  }
  const gres = [...new Set(untyped.map((n) => n.gpus.map((g) => `gpu:${g.count}`).join(',')))].join(' or ');
  return probeNode(transport, t, wanted.count, `the GRES ${gres} of ${untyped.length === 1 ? 'node' : 'nodes'} ${listNames(untyped)} names no GPU type`, signal);
}
