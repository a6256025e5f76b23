// Shared by the pool tests: simulated GPU hosts behind real sshds, named in one hosts file and one ssh config as a
// user's would be, and a plan whose one stage holds independent batching options.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSimSshHost, type SimSshHost, type SimSshHostOptions } from '../support/simSshHost';
import { killEngines } from '../tune/support';

export interface SimSshPool {
  hosts: SimSshHost[];
  hostsFile: string;
  sshConfig: string;
  /** Stops every host's engines and sshd, then removes `dir`. */
  stop(): Promise<void>;
}

export async function startSimSshPool(dir: string, specs: SimSshHostOptions[]): Promise<SimSshPool> {
  const hosts = await Promise.all(specs.map((s) => startSimSshHost(s)));
  const hostsFile = join(dir, 'serving-lab.hosts.yaml');
  writeFileSync(hostsFile, `hosts:\n${hosts.map((h) => readFileSync(h.hostsFile, 'utf8').replace(/^hosts:\n/, '')).join('')}`);
  const sshConfig = join(dir, 'ssh_config');
  writeFileSync(sshConfig, hosts.map((h) => readFileSync(h.sshConfig, 'utf8')).join('\n'));
  const stop = async () => {
    for (const h of hosts) {
      killEngines(h.workDir);
      await h.stop().catch(() => {});
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { hosts, hostsFile, sshConfig, stop };
}

/** A baseline and one stage of batching options (max-num-seqs each), independent of each other. */
export function writeBatchingPlan(dir: string, name: string, maxNumSeqs: readonly number[]): string {
  const file = join(dir, `${name}.plan.yaml`);
  const options = maxNumSeqs.map((n) => `      - { name: seqs-${n}, patch: { batching: { maxNumSeqs: ${n} } } }`);
  writeFileSync(file, [`name: ${name}`, 'model: zai-org/GLM-4.5-Air', 'baseline: { engine: vllm, parallel: { tp: 4 } }', 'stages:', '  - name: Batching', '    kind: batching', '    options:', ...options, 'workloads:', '  primary: { preset: sharegpt, numPrompts: 20 }', ''].join('\n'));
  return file;
}
