// `hosts check`: what a host offers. GPUs from `nvidia-smi --query-gpu … --format=csv` (a Slurm host: those of the
// nodes its jobs run on, slurmGpus.ts), the CUDA version from nvidia-smi's banner, each engine's usability and
// version (native command or docker image), and the work dir.
import { ENGINES, type EngineName, type HostFacts, type HostSpec, type SlurmTransport } from '../plan/schema';
import { ADAPTERS } from '../engines/index';
import { cudaVersionOf, GPU_QUERY, parseGpuCsv } from './gpuQuery';
import { workDirOf } from './runFiles';
import { slurmGpuInventory } from './slurmGpus';
import type { Transport } from './transport';
import { findGpu } from '../sim/gpus';

export interface EngineAvailability {
  engine: EngineName;
  usable: boolean;
  via: 'native' | 'docker';
  /** The command or image checked. */
  target: string;
  version?: string;
  /** Why it is not usable (or why the version is unknown). */
  problem?: string;
}

/** HostFacts (the schema other parts store with results) plus what `hosts check` shows. */
export interface HostCheck extends HostFacts {
  transport: string;
  engines: EngineAvailability[];
  workDir: string;
  workDirWritable: boolean;
  /** The simulator's catalog GPU for what nvidia-smi reports (`sim predict --gpu`, dry runs); undefined if none. */
  simulatorGpu?: string;
  /** Where the GPUs were learnt when not from this machine's nvidia-smi (a Slurm host: the partition's nodes). */
  gpuSource?: string;
  /** What could not be learnt and why, where that is no fault of the host (a Slurm partition with no free node). */
  notes: string[];
  problems: string[];
}

const firstVersion = (text: string) => text.match(/\b(\d+\.\d+(?:\.\d+)?(?:[.+-]?[A-Za-z0-9]+)*)\b/)?.[1];

async function nativeEngine(transport: Transport, engine: EngineName, command: string | undefined): Promise<EngineAvailability> {
  const base = [command ?? ADAPTERS[engine].defaultCommand[0]!];
  const target = base[0]!;
  const versionArgv: Record<EngineName, string[]> = {
    vllm: [...base, '--version'],
    sglang: [...base, '-c', 'import sglang; print(sglang.__version__)'],
    trtllm: [...base, '--version'],
  };
  const v = await transport.exec(versionArgv[engine]);
  if (v.exitCode === 0) {
    const version = firstVersion(v.stdout.trim().split('\n').pop() ?? '');
    if (version) return { engine, usable: true, via: 'native', target, version };
  }
  if (v.exitCode === 127) return { engine, usable: false, via: 'native', target, problem: `${target} not found on the host's PATH; set engines.${engine}.command in the hosts file` };
  // Some installs cannot print a version; a working --help still shows the engine starts.
  const helpArgv = engine === 'sglang' ? [...base, '-m', 'sglang.launch_server', '--help'] : engine === 'vllm' ? [...base, 'serve', '--help'] : [...base, '--help'];
  const help = await transport.exec(helpArgv);
  if (help.exitCode === 0) return { engine, usable: true, via: 'native', target, problem: 'version unknown' };
  const why = (v.stderr || help.stderr).trim().split('\n').pop() ?? `exit ${help.exitCode}`;
  return { engine, usable: false, via: 'native', target, problem: why };
}

async function dockerEngine(transport: Transport, engine: EngineName, image: string): Promise<EngineAvailability> {
  const r = await transport.exec(['docker', 'image', 'inspect', '--format', '{{.Id}}', image]);
  const tag = image.includes(':') ? image.slice(image.lastIndexOf(':') + 1).replace(/^v/, '') : undefined;
  if (r.exitCode === 0) return { engine, usable: true, via: 'docker', target: image, version: tag };
  if (r.exitCode === 127) return { engine, usable: false, via: 'docker', target: image, problem: 'docker is not installed on the host' };
  return { engine, usable: false, via: 'docker', target: image, problem: `image not pulled (docker pull ${image}) or docker not usable: ${r.stderr.trim().split('\n').pop() ?? ''}` };
}

type GpuFacts = Pick<HostCheck, 'gpus' | 'driverVersion' | 'cudaVersion' | 'gpuSource' | 'notes' | 'problems'>;

/** The machine's own GPUs, from its nvidia-smi. */
async function machineGpus(transport: Transport): Promise<GpuFacts> {
  const problems: string[] = [];
  const [query, banner] = await Promise.all([
    transport.exec(['nvidia-smi', `--query-gpu=${GPU_QUERY}`, '--format=csv,noheader,nounits']),
    transport.exec(['nvidia-smi']),
  ]);
  const { gpus, driverVersion } = query.exitCode === 0 ? parseGpuCsv(query.stdout) : { gpus: [], driverVersion: undefined };
  if (query.exitCode === 127) problems.push('nvidia-smi not found: no NVIDIA driver on this host (or not on PATH)');
  else if (query.exitCode !== 0) problems.push(`nvidia-smi failed: ${query.stderr.trim() || `exit ${query.exitCode}`}`);
  return { gpus, driverVersion, cudaVersion: cudaVersionOf(banner.stdout), notes: [], problems };
}

async function slurmGpus(transport: Transport, t: SlurmTransport, signal?: AbortSignal): Promise<GpuFacts> {
  const { source, ...inventory } = await slurmGpuInventory(transport, t, signal);
  return { ...inventory, gpuSource: source };
}

export async function checkHost(transport: Transport, host: HostSpec, signal?: AbortSignal): Promise<HostCheck> {
  // A Slurm login node's own GPUs (often none) say nothing about the nodes the jobs run on.
  const facts: GpuFacts = host.transport.kind === 'slurm' ? await slurmGpus(transport, host.transport, signal) : await machineGpus(transport);
  const { gpus, driverVersion, cudaVersion, gpuSource, notes, problems } = facts;
  const engines = await Promise.all(
    ENGINES.map((engine) => {
      const install = host.engines[engine];
      return install?.docker ? dockerEngine(transport, engine, install.docker.image) : nativeEngine(transport, engine, install?.command);
    }),
  );
  const workDir = await workDirOf(transport, host);
  // Read-only: the dir, or the nearest existing parent it would be created in, must be writable.
  const w = await transport.exec(['sh', '-c', 'd=$1; while [ ! -e "$d" ]; do d=$(dirname -- "$d"); done; [ -d "$d" ] && [ -w "$d" ]', 'sh', workDir]);
  if (w.exitCode !== 0) problems.push(`the work dir ${workDir} is not writable: set workDir in the hosts file`);
  return {
    name: host.name,
    gpus,
    driverVersion,
    cudaVersion,
    engineVersions: Object.fromEntries(engines.filter((e) => e.usable && e.version).map((e) => [e.engine, e.version!])),
    simulated: host.transport.kind === 'sim',
    transport: transport.description,
    engines,
    workDir,
    workDirWritable: w.exitCode === 0,
    ...(gpus[0] && findGpu(gpus[0].name) ? { simulatorGpu: findGpu(gpus[0].name)!.id } : {}),
    ...(gpuSource ? { gpuSource } : {}),
    notes,
    problems,
  };
}
