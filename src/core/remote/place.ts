// A place to run an engine variant: a host (the engine started detached there, the client run next to it through the
// same transport) or a Slurm job (the engine started by the scheduler on an allocated node). The tune backend asks
// a place for engines instead of talking to one host.
import type { EngineRun, EngineVariant, HostSpec } from '../plan/schema';
import { engineStatus, listEngineRuns, startEngine, stopEngine, type StartEngineOptions, type StopEngineOptions } from './runs';
import type { JobInfo } from './slurm';
import { SlurmPlace } from './slurmPlace';
import type { ExecOptions, ExecResult, Transport } from './transport';

export interface EnginePlace {
  readonly host: HostSpec;
  /** Where files (datasets, results) and HTTP tunnels go: the host, or the cluster's login node (shared file system). */
  readonly transport: Transport;
  /** Engines this place runs at once (a host: 1; a Slurm host: its maxParallel jobs). */
  readonly capacity: number;
  /** True when the place's GPUs are a machine's own, so a stop waits until their memory is released (a host). */
  readonly ownsGpus: boolean;
  start(variant: EngineVariant, options: StartEngineOptions): Promise<EngineRun>;
  status(runId: string): Promise<EngineRun>;
  stop(runId: string, options: StopEngineOptions): Promise<EngineRun>;
  list(): Promise<EngineRun[]>;
  /** The engine's address as seen from `transport` (undefined = 127.0.0.1). */
  address(runId: string): string | undefined;
  /** The Slurm node and job a run is on (places that are not one machine). */
  whereIs?(runId: string): { node?: string; job?: string };
  /** Runs a command next to the engine (the benchmark client; a signal to it). */
  exec(runId: string, argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
}

/** A host as a place: one engine at a time, started detached by the run supervisor. */
export function hostPlace(transport: Transport, host: HostSpec): EnginePlace {
  return {
    host,
    transport,
    capacity: 1,
    ownsGpus: true,
    start: (variant, options) => startEngine(transport, host, variant, options),
    status: (runId) => engineStatus(transport, host, runId),
    stop: (runId, options) => stopEngine(transport, host, runId, options),
    list: () => listEngineRuns(transport, host),
    address: () => undefined,
    exec: (_runId, argv, options) => transport.exec(argv, options),
  };
}

/** Where a host's engines run: its Slurm jobs (a Slurm host) or the machine itself. */
export function placeOf(transport: Transport, host: HostSpec): EnginePlace {
  return host.transport.kind === 'slurm' ? new SlurmPlace(transport, host) : hostPlace(transport, host);
}

/** An engine run as the Hosts view lists it; on a Slurm host with its job (state, pending reason, node). */
export interface PlacedRun {
  run: EngineRun;
  job?: JobInfo;
}

/** The host's engine runs: a Slurm host's jobs Serving Lab submitted that the scheduler still knows; a machine's runs. */
export async function listPlacedRuns(transport: Transport, host: HostSpec): Promise<PlacedRun[]> {
  const place = placeOf(transport, host);
  if (place instanceof SlurmPlace) return place.listWithJobs();
  return (await place.list()).map((run) => ({ run }));
}

/**
 * Stops a run wherever it is, from any process: a Slurm job is cancelled (pending or running: scancel, waiting until
 * it left the queue, which ends its engine); a machine's engine gets SIGTERM, then SIGKILL after the grace.
 */
export function stopPlacedRun(transport: Transport, host: HostSpec, runId: string, options: StopEngineOptions = {}): Promise<EngineRun> {
  return placeOf(transport, host).stop(runId, options);
}
