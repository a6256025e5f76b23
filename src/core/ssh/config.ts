// Resolving a host the way OpenSSH does. With an OpenSSH client installed, `ssh -G` prints the effective
// configuration (Include, Match, tokens, defaults exactly as the user's own ssh sees them). Without one, a parser of
// ssh_config follows Include and Host/Match-host blocks with OpenSSH's first-value-wins rule.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { sshHostNameProblem, sshUserProblem } from '../shell';
import { SshSetupError } from './types';

export type StrictHostKeyChecking = 'yes' | 'no' | 'ask' | 'accept-new';

export interface ResolvedSshHost {
  /** The name the user gave (alias). */
  alias: string;
  hostName: string;
  port: number;
  user: string;
  /** Every IdentityFile, in order, with ~ and %-tokens expanded. */
  identityFiles: string[];
  identitiesOnly: boolean;
  /** ProxyJump hops, first to last ("user@host:port" or aliases); empty without jumps. */
  proxyJump: string[];
  proxyCommand?: string;
  userKnownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  strictHostKeyChecking: StrictHostKeyChecking;
  hostKeyAlias?: string;
  /** Seconds; 0 = off. */
  serverAliveInterval: number;
  serverAliveCountMax: number;
  /** Seconds; undefined = system default. */
  connectTimeout?: number;
  identityAgent?: string;
  batchMode: boolean;
  passwordAuthentication: boolean;
  kbdInteractiveAuthentication: boolean;
  source: 'ssh -G' | 'ssh_config parser';
}

export interface ResolveOptions {
  /** `ssh -F FILE`: a config file instead of ~/.ssh/config. */
  configFile?: string;
  user?: string;
  port?: number;
  /** Connect to this address with the alias's other settings (a hosts-file entry with both alias and host). */
  hostName?: string;
  /** false = never run `ssh -G` (tests of the parser; hosts without an OpenSSH client). */
  useOpenSsh?: boolean;
  home?: string;
}

const DEFAULT_IDENTITIES = ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_xmss', 'id_dsa'].map((f) => `~/.ssh/${f}`);

/** The names ssh would refuse on its command line, refused before either resolver sees them. */
function checkNames(alias: string, options: ResolveOptions): void {
  const problem =
    sshHostNameProblem(alias, 'host name or ssh alias') ??
    (options.hostName === undefined ? undefined : sshHostNameProblem(options.hostName)) ??
    (options.user === undefined ? undefined : sshUserProblem(options.user));
  if (problem) throw new SshSetupError(`${problem}. Fix it in the hosts file or the host name given`);
}

let openSshAvailable: boolean | undefined;
function runSshG(args: string[]): Promise<{ ok: true; text: string } | { ok: false; message: string; missing: boolean }> {
  return new Promise((resolve) => {
    execFile('ssh', ['-G', ...args], { timeout: 10_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') resolve({ ok: false, message: 'ssh not found', missing: true });
      else if (err) resolve({ ok: false, message: (stderr || err.message).trim(), missing: false });
      else resolve({ ok: true, text: stdout });
    });
  });
}

/** Splits "a b 'c d'" the way ssh_config splits values (double quotes group words). */
function splitValue(value: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value))) out.push(m[1] ?? m[2]!);
  return out;
}

export interface TokenContext {
  home: string;
  localUser: string;
  hostName: string;
  alias: string;
  port: number;
  user: string;
}

export function expandTokens(value: string, ctx: TokenContext): string {
  const withHome = value === '~' ? ctx.home : value.startsWith('~/') ? join(ctx.home, value.slice(2)) : value;
  return withHome.replace(/%([%dhnpru])/g, (_, t: string) => {
    switch (t) {
      case '%':
        return '%';
      case 'd':
        return ctx.home;
      case 'h':
        return ctx.hostName;
      case 'n':
        return ctx.alias;
      case 'p':
        return String(ctx.port);
      case 'r':
        return ctx.user;
      default:
        return ctx.localUser;
    }
  });
}

/** IdentityAgent: "none", "SSH_AUTH_SOCK" / "$VAR" (an environment variable), or a socket path. */
function agentPath(value: string | undefined, ctx: TokenContext): string | undefined {
  if (value === undefined) return process.env['SSH_AUTH_SOCK'] || undefined;
  if (value.toLowerCase() === 'none') return undefined;
  if (value === 'SSH_AUTH_SOCK' || value.startsWith('$')) return process.env[value.replace(/^\$/, '')] || undefined;
  return expandTokens(value, ctx);
}

function yes(v: string | undefined, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  return /^(yes|true)$/i.test(v);
}

function strictness(v: string | undefined): StrictHostKeyChecking {
  switch ((v ?? 'ask').toLowerCase()) {
    case 'yes':
    case 'true':
      return 'yes';
    case 'no':
    case 'off':
    case 'false':
      return 'no';
    case 'accept-new':
      return 'accept-new';
    default:
      return 'ask';
  }
}

/** Effective options as lower-case keys → values (multi-valued keys keep every value in order). */
export type EffectiveOptions = Map<string, string[]>;

function toResolved(alias: string, opts: EffectiveOptions, source: ResolvedSshHost['source'], home: string): ResolvedSshHost {
  const one = (k: string) => opts.get(k)?.[0];
  const localUser = userInfo().username;
  const hostName = one('hostname') ?? alias;
  const port = Number(one('port') ?? 22);
  const user = one('user') ?? localUser;
  const ctx: TokenContext = { home, localUser, hostName, alias, port, user };
  const list = (k: string, fallback: string[]) => (opts.get(k) ?? fallback).flatMap(splitValue).map((f) => expandTokens(f, ctx));
  const jump = one('proxyjump');
  const timeout = one('connecttimeout');
  const agent = one('identityagent');
  return {
    alias,
    hostName,
    port,
    user,
    identityFiles: [...new Set(list('identityfile', DEFAULT_IDENTITIES))],
    identitiesOnly: yes(one('identitiesonly'), false),
    proxyJump: jump && jump.toLowerCase() !== 'none' ? jump.split(',').map((h) => h.trim()).filter(Boolean) : [],
    proxyCommand: one('proxycommand') && one('proxycommand')!.toLowerCase() !== 'none' ? opts.get('proxycommand')!.join(' ') : undefined,
    userKnownHostsFiles: list('userknownhostsfile', ['~/.ssh/known_hosts', '~/.ssh/known_hosts2']),
    globalKnownHostsFiles: list('globalknownhostsfile', ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']),
    strictHostKeyChecking: strictness(one('stricthostkeychecking')),
    hostKeyAlias: one('hostkeyalias') && one('hostkeyalias') !== 'none' ? one('hostkeyalias') : undefined,
    serverAliveInterval: Number(one('serveraliveinterval') ?? 0) || 0,
    serverAliveCountMax: Number(one('serveralivecountmax') ?? 3) || 3,
    connectTimeout: timeout && timeout !== 'none' && Number(timeout) > 0 ? Number(timeout) : undefined,
    identityAgent: agentPath(agent, ctx),
    batchMode: yes(one('batchmode'), false),
    passwordAuthentication: yes(one('passwordauthentication'), true),
    kbdInteractiveAuthentication: yes(one('kbdinteractiveauthentication') ?? one('challengeresponseauthentication'), true),
    source,
  };
}

// ---------------------------------------------------------------- the parser (no OpenSSH client)

interface Directive {
  key: string;
  value: string;
  file: string;
  line: number;
  /** The Host/Match condition this line is under (undefined = applies to every host). */
  condition?: Condition;
}

type Condition = { kind: 'host'; patterns: string[] } | { kind: 'match'; criteria: Array<[string, string[]]>; unsupported?: string };

function patternMatches(patterns: readonly string[], name: string): boolean {
  let matched = false;
  for (const p of patterns) {
    const negated = p.startsWith('!');
    const body = (negated ? p.slice(1) : p).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    if (new RegExp(`^${body}$`, 'i').test(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** Expands an Include glob (* and ? within path segments) to existing files, sorted as OpenSSH does. */
function expandGlob(pattern: string): string[] {
  const parts = pattern.split('/');
  let paths = [parts[0] === '' ? '/' : parts[0]!];
  for (const part of parts.slice(1)) {
    if (part === '') continue;
    const next: string[] = [];
    for (const base of paths) {
      if (/[*?]/.test(part)) {
        const re = new RegExp(`^${part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
        try {
          for (const name of readdirSync(base).sort()) if (re.test(name) && !name.startsWith('.')) next.push(join(base, name));
        } catch {
          // not a directory
        }
      } else next.push(join(base, part));
    }
    paths = next;
  }
  return paths.filter((p) => existsSync(p) && statSync(p).isFile());
}

/** Reads a config file into directives, expanding Include in place (relative to ~/.ssh, or /etc/ssh for system files). */
function readSshConfig(file: string, home: string, outer?: Condition, depth = 0): Directive[] {
  if (depth > 16) throw new SshSetupError(`${file}: Include nested more than 16 levels deep (a loop?)`);
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  const base = file.startsWith('/etc/ssh/') ? '/etc/ssh' : join(home, '.ssh');
  const out: Directive[] = [];
  let condition = outer;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = line.match(/^(\S+?)(?:\s*=\s*|\s+)(.*)$/);
    if (!m) return;
    const key = m[1]!.toLowerCase();
    const value = m[2]!.trim();
    if (key === 'host') {
      condition = { kind: 'host', patterns: splitValue(value) };
      return;
    }
    if (key === 'match') {
      const words = splitValue(value);
      const criteria: Array<[string, string[]]> = [];
      let unsupported: string | undefined;
      for (let w = 0; w < words.length; w++) {
        const c = words[w]!.toLowerCase();
        if (c === 'all' || c === 'canonical' || c === 'final') criteria.push([c, []]);
        else {
          const arg = words[++w] ?? '';
          if (!['host', 'originalhost', 'user', 'localuser'].includes(c.replace(/^!/, ''))) unsupported = `Match ${c}`;
          criteria.push([c, arg.split(',')]);
        }
      }
      condition = { kind: 'match', criteria, unsupported };
      return;
    }
    if (key === 'include') {
      for (const pattern of splitValue(value)) {
        const expanded = pattern.startsWith('~/') ? join(home, pattern.slice(2)) : isAbsolute(pattern) ? pattern : join(base, pattern);
        for (const included of expandGlob(expanded)) out.push(...readSshConfig(included, home, condition, depth + 1));
      }
      return;
    }
    out.push({ key, value, file, line: i + 1, condition });
  });
  return out;
}

function conditionHolds(c: Condition | undefined, alias: string, hostName: string, user: string): boolean {
  if (!c) return true;
  if (c.kind === 'host') return patternMatches(c.patterns, alias);
  if (c.unsupported) return false;
  return c.criteria.every(([name, args]) => {
    const negated = name.startsWith('!');
    const n = negated ? name.slice(1) : name;
    let r: boolean;
    if (n === 'all' || n === 'final' || n === 'canonical') r = true;
    else if (n === 'host') r = patternMatches(args, hostName);
    else if (n === 'originalhost') r = patternMatches(args, alias);
    else if (n === 'user') r = patternMatches(args, user);
    else r = patternMatches(args, userInfo().username);
    return negated ? !r : r;
  });
}

const MULTI = new Set(['identityfile', 'certificatefile', 'localforward', 'remoteforward', 'dynamicforward', 'sendenv', 'setenv']);

/** Applies OpenSSH's rule (first value wins; IdentityFile and forwards accumulate) for one host. */
function computeOptions(directives: readonly Directive[], alias: string, overrides: { user?: string; port?: number; hostName?: string } = {}): EffectiveOptions {
  const opts: EffectiveOptions = new Map();
  if (overrides.user) opts.set('user', [overrides.user]);
  if (overrides.port) opts.set('port', [String(overrides.port)]);
  if (overrides.hostName) opts.set('hostname', [overrides.hostName]);
  // Match host tests the HostName set so far, as OpenSSH does in its single pass.
  for (const d of directives) {
    const hostName = opts.get('hostname')?.[0] ?? alias;
    const user = opts.get('user')?.[0] ?? userInfo().username;
    if (!conditionHolds(d.condition, alias, hostName, user)) continue;
    if (MULTI.has(d.key)) opts.set(d.key, [...(opts.get(d.key) ?? []), d.value]);
    else if (!opts.has(d.key)) opts.set(d.key, [d.value]);
  }
  const hostName = opts.get('hostname')?.[0];
  if (hostName) opts.set('hostname', [hostName.replace(/%h/g, alias)]);
  return opts;
}

/** The user's config file and the system one, in OpenSSH's order. */
function configFiles(options: ResolveOptions, home: string): string[] {
  return options.configFile ? [options.configFile] : [join(home, '.ssh', 'config'), '/etc/ssh/ssh_config'];
}

function parseSshG(text: string): EffectiveOptions {
  const opts: EffectiveOptions = new Map();
  for (const line of text.split('\n')) {
    const m = line.match(/^(\S+)\s+(.*)$/);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    opts.set(key, [...(opts.get(key) ?? []), m[2]!]);
  }
  return opts;
}

/** Resolves an alias or host name to connection settings, as the user's `ssh` would. */
export async function resolveSshHost(alias: string, options: ResolveOptions = {}): Promise<ResolvedSshHost> {
  checkNames(alias, options);
  const home = options.home ?? homedir();
  if (options.configFile && !existsSync(options.configFile)) {
    throw new SshSetupError(`ssh config file ${options.configFile} does not exist: check --ssh-config / the ssh config setting`);
  }
  if (options.useOpenSsh !== false && openSshAvailable !== false) {
    const args = [...(options.configFile ? ['-F', options.configFile] : []), ...(options.port ? ['-p', String(options.port)] : []), ...(options.user ? ['-l', options.user] : []), ...(options.hostName ? ['-o', `HostName=${options.hostName}`] : []), alias];
    const r = await runSshG(args);
    if (r.ok) {
      openSshAvailable = true;
      return toResolved(alias, parseSshG(r.text), 'ssh -G', home);
    }
    if (!r.missing) throw new SshSetupError(`ssh -G ${alias} failed: ${r.message}. Fix the ssh config${options.configFile ? ` (${options.configFile})` : ''}, then retry`);
    openSshAvailable = false;
  }
  const directives = configFiles(options, home).flatMap((f) => readSshConfig(f, home));
  return toResolved(alias, computeOptions(directives, alias, options), 'ssh_config parser', home);
}

/** Host aliases a user can pick (Host lines without wildcards or negation), in file order. */
export function listSshAliases(options: { configFile?: string; home?: string } = {}): Array<{ alias: string; file: string; line: number }> {
  const home = options.home ?? homedir();
  const out: Array<{ alias: string; file: string; line: number }> = [];
  const seen = new Set<string>();
  const visit = (file: string, depth: number) => {
    if (depth > 16 || !existsSync(file)) return;
    const base = file.startsWith('/etc/ssh/') ? '/etc/ssh' : join(home, '.ssh');
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((raw, i) => {
        const m = raw.trim().match(/^(\S+?)(?:\s*=\s*|\s+)(.*)$/);
        if (!m) return;
        const key = m[1]!.toLowerCase();
        if (key === 'host') {
          for (const p of splitValue(m[2]!)) {
            if (/[*?!]/.test(p) || seen.has(p)) continue;
            seen.add(p);
            out.push({ alias: p, file, line: i + 1 });
          }
        } else if (key === 'include') {
          for (const pattern of splitValue(m[2]!)) {
            const expanded = pattern.startsWith('~/') ? join(home, pattern.slice(2)) : isAbsolute(pattern) ? pattern : join(base, pattern);
            for (const f of expandGlob(expanded)) visit(f, depth + 1);
          }
        }
      });
  };
  visit(options.configFile ?? join(home, '.ssh', 'config'), 0);
  return out;
}

/** Splits a ProxyJump hop "user@host:port" / "ssh://user@host:port" into parts. */
export function parseJumpHop(hop: string): { host: string; user?: string; port?: number } {
  const s = hop.replace(/^ssh:\/\//, '');
  const at = s.lastIndexOf('@');
  const user = at >= 0 ? s.slice(0, at) : undefined;
  const rest = at >= 0 ? s.slice(at + 1) : s;
  const m = rest.match(/^\[([^\]]+)\](?::(\d+))?$/) ?? rest.match(/^([^:]+)(?::(\d+))?$/);
  if (!m) throw new SshSetupError(`ProxyJump hop "${hop}" is not [user@]host[:port]`);
  return { host: m[1]!, user: user || undefined, port: m[2] ? Number(m[2]) : undefined };
}
