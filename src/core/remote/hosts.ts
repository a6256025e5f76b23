// Where hosts come from: the built-in simulated host (`sim`, `sim:GPU:COUNT`), a hosts file
// (`serving-lab.hosts.yaml` in the working directory or --hosts-file: HostSpec entries that add engine paths/images
// and a work dir), and the aliases of the user's ~/.ssh/config (or --ssh-config FILE).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { formatProblem, parseYamlAs } from '../plan/load';
import { HostSpec, type HostSpecInput } from '../plan/schema';
import { listSshAliases } from '../ssh/config';

const HOSTS_FILE_NAME = 'serving-lab.hosts.yaml';
const SIM_DEFAULT_GPU = 'A100-SXM4-80GB';
const SIM_DEFAULT_COUNT = 4;

/** Serving Lab's per-user directory on this machine (trust file, run index, the sim host's files). */
export function servingLabHome(): string {
  return process.env['SERVING_LAB_HOME'] || join(homedir(), '.serving-lab');
}

/** Host keys the user accepted through Serving Lab (known_hosts format; ~/.ssh/known_hosts is never written). */
export function trustFilePath(): string {
  return join(servingLabHome(), 'known_hosts');
}

export interface HostListOptions {
  cwd: string;
  /** A hosts file instead of <cwd>/serving-lab.hosts.yaml. */
  hostsFile?: string;
  /** An ssh config instead of ~/.ssh/config (`ssh -F`). */
  sshConfig?: string;
}

export interface ListedHost {
  name: string;
  source: 'built-in' | 'hosts-file' | 'ssh-config';
  /** "serving-lab.hosts.yaml:12" or "~/.ssh/config:3"; absent for the built-in host. */
  origin?: string;
  spec: HostSpec;
}

export class HostError extends Error {}

const SIM_NAME = /^sim(?::([A-Za-z0-9._-]+)(?::(\d+))?)?(?:\?profile=(.+))?$/;

/**
 * `sim`, `sim:GPU:COUNT` or `sim:GPU:COUNT?profile=FILE` (a hidden host profile, sim/hostProfile.ts) → the simulated
 * host spec; undefined for other names.
 */
export function simHostSpec(name: string): HostSpec | undefined {
  const m = name.match(SIM_NAME);
  if (!m) return undefined;
  const gpu = m[1] ?? SIM_DEFAULT_GPU;
  const count = m[2] ? Number(m[2]) : SIM_DEFAULT_COUNT;
  if (count < 1 || count > 64) throw new HostError(`${name}: the GPU count must be 1 to 64`);
  if (!m[3]) return HostSpec.parse({ name, transport: { kind: 'sim', gpu, count }, workDir: join(servingLabHome(), 'sim', `${gpu}-${count}`) });
  const profile = resolve(m[3]);
  if (!existsSync(profile)) throw new HostError(`${name}: no host profile at ${profile}; give the path of a profile file (memoryBandwidth, reservedGiB, stepOverheadS, noisePct, crashes)`);
  // Each profile gets its own shims directory: the shims carry the profile's path.
  const tag = createHash('sha256').update(profile).digest('hex').slice(0, 12);
  return HostSpec.parse({ name, transport: { kind: 'sim', gpu, count, profile }, workDir: join(servingLabHome(), 'sim', `${gpu}-${count}-profile-${tag}`) });
}

const HostsFile = z.strictObject({ hosts: z.array(HostSpec) }).superRefine(({ hosts }, ctx) => {
  const names = new Set<string>();
  hosts.forEach((spec, i) => {
    const path = ['hosts', i, 'name'];
    if (names.has(spec.name)) ctx.addIssue({ code: 'custom', path, message: `host "${spec.name}" is defined twice` });
    else if (SIM_NAME.test(spec.name) && spec.transport.kind !== 'sim') ctx.addIssue({ code: 'custom', path, message: `"${spec.name}" is the built-in simulated host's name: pick another name` });
    names.add(spec.name);
  });
});

/** Reads a hosts file; every problem is reported as file:line:col: path: message, as in plans. */
export function loadHostsFile(file: string): Array<{ spec: HostSpec; line: number }> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new HostError(`cannot read hosts file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const parsed = parseYamlAs(HostsFile, text, file, { noun: 'hosts file', expected: 'a hosts file: "hosts:" followed by a list of hosts (name, transport, engines, workDir)' });
  if (!parsed.ok) throw new HostError(parsed.problems.map(formatProblem).join('\n'));
  return parsed.data.hosts.map((spec, i) => ({ spec, line: parsed.lineOf(['hosts', i]) }));
}

function hostsFileOf(options: HostListOptions): string | undefined {
  if (options.hostsFile) {
    const file = resolve(options.cwd, options.hostsFile);
    if (!existsSync(file)) throw new HostError(`hosts file ${file} does not exist: check --hosts-file`);
    return file;
  }
  const file = join(options.cwd, HOSTS_FILE_NAME);
  return existsSync(file) ? file : undefined;
}

/** Every host a user can name: the built-in `sim`, the hosts file's entries, then ssh config aliases not redefined. */
export function listHosts(options: HostListOptions): ListedHost[] {
  const out: ListedHost[] = [{ name: 'sim', source: 'built-in', spec: simHostSpec('sim')! }];
  const file = hostsFileOf(options);
  if (file) {
    for (const { spec, line } of loadHostsFile(file)) {
      const existing = out.findIndex((h) => h.name === spec.name);
      const entry: ListedHost = { name: spec.name, source: 'hosts-file', origin: `${file}:${line}`, spec };
      if (existing >= 0) out[existing] = entry;
      else out.push(entry);
    }
  }
  for (const { alias, file: configFile, line } of listSshAliases({ configFile: options.sshConfig })) {
    if (out.some((h) => h.name === alias)) continue;
    out.push({ name: alias, source: 'ssh-config', origin: `${configFile}:${line}`, spec: sshAliasSpec(alias) });
  }
  return out;
}

function sshAliasSpec(alias: string): HostSpec {
  const input: HostSpecInput = { name: alias, transport: { kind: 'ssh', alias } };
  return HostSpec.parse(input);
}

/**
 * A host by name: a hosts-file entry, `sim` / `sim:GPU:COUNT`, or any name `ssh` itself could connect to (an alias of
 * the ssh config, or a plain host name / user@host, resolved by OpenSSH's rules at connect time).
 */
export function resolveHost(name: string, options: HostListOptions): HostSpec {
  const file = hostsFileOf(options);
  if (file) {
    const found = loadHostsFile(file).find((h) => h.spec.name === name);
    if (found) return found.spec;
  }
  const sim = simHostSpec(name);
  if (sim) return sim;
  if (!/^([A-Za-z0-9._-]+@)?[A-Za-z0-9._:[\]-]+$/.test(name) || name.startsWith('-')) {
    throw new HostError(`"${name}" is not a known host: use \`serving-lab hosts list\` to see host names, or give an ssh alias or host name`);
  }
  const at = name.indexOf('@');
  if (at > 0) return HostSpec.parse({ name, transport: { kind: 'ssh', alias: name.slice(at + 1), user: name.slice(0, at) } });
  return sshAliasSpec(name);
}
