// Authentication in OpenSSH's order: the agent, then each identity file, then keyboard-interactive and password.
// Encrypted keys and passwords are asked for through the CredentialProvider. When everything fails, the error lists
// what was tried and why each attempt did not work.
import { existsSync, readFileSync } from 'node:fs';
import { OpenSSHAgent, utils, type IdentityCallback, type AnyAuthMethod, type AuthenticationType, type AuthHandlerMiddleware, type ParsedKey } from 'ssh2';
import type { Logger } from '../logger';
import type { ResolvedSshHost } from './config';
import type { CredentialProvider, CredentialRequest } from './types';

export interface AuthPlan {
  handler: AuthHandlerMiddleware;
  /** What was tried, for the failure message: "agent (/run/agent.sock): rejected". */
  tried: string[];
}

/** The base64 public key of an identity file, from its .pub file (undefined when there is none). */
function publicKeyBlob(identityFile: string): string | undefined {
  try {
    return readFileSync(`${identityFile}.pub`, 'utf8').trim().split(/\s+/)[1];
  } catch {
    return undefined;
  }
}

/** An agent that lists only the keys named by IdentityFile (IdentitiesOnly yes). */
class IdentityFileAgent extends OpenSSHAgent {
  constructor(
    socketPath: string,
    private readonly allowed: Set<string>,
  ) {
    super(socketPath);
  }

  override getIdentities(cb: IdentityCallback<ParsedKey>): void {
    super.getIdentities((err, keys) =>
      cb(
        err,
        keys?.filter((k) => 'getPublicSSH' in k && this.allowed.has(k.getPublicSSH().toString('base64'))),
      ),
    );
  }
}

type Step = { method: 'publickey' | 'keyboard-interactive' | 'password'; describe: string; make(): Promise<AnyAuthMethod | undefined> };

const MAX_PASSPHRASE_ATTEMPTS = 3;

async function loadKey(file: string, target: string, credentials: CredentialProvider | undefined, note: (why: string) => void): Promise<ParsedKey | undefined> {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (err) {
    note(`cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
  const first = utils.parseKey(data);
  if (!(first instanceof Error)) return Array.isArray(first) ? first[0] : first;
  if (!/encrypted|passphrase/i.test(first.message)) {
    note(`not a usable private key (${first.message})`);
    return undefined;
  }
  if (!credentials) {
    note('encrypted, and no way to ask for its passphrase');
    return undefined;
  }
  for (let attempt = 1; attempt <= MAX_PASSPHRASE_ATTEMPTS; attempt++) {
    const request: CredentialRequest = { kind: 'passphrase', target, keyFile: file, prompt: `Passphrase for ${file}`, echo: false, attempt };
    const passphrase = await credentials.get(request);
    if (passphrase === undefined) {
      note('encrypted, passphrase not given');
      return undefined;
    }
    const parsed = utils.parseKey(data, passphrase);
    credentials.report?.(request, !(parsed instanceof Error));
    if (!(parsed instanceof Error)) return Array.isArray(parsed) ? parsed[0] : parsed;
  }
  note(`encrypted, wrong passphrase ${MAX_PASSPHRASE_ATTEMPTS} times`);
  return undefined;
}

export function planAuthentication(host: ResolvedSshHost, options: { credentials?: CredentialProvider; agent?: string; log: Logger }): AuthPlan {
  const tried: string[] = [];
  const username = host.user;
  const target = `${host.user}@${host.hostName}:${host.port}`;
  const credentials = host.batchMode ? undefined : options.credentials;
  const steps: Step[] = [];
  const agent = options.agent ?? host.identityAgent;
  let pending: string | undefined;

  if (agent && !host.identitiesOnly) {
    steps.push({ method: 'publickey', describe: `agent (${agent})`, make: async () => ({ type: 'agent', username, agent }) });
  } else if (agent) {
    // IdentitiesOnly: as OpenSSH, offer only the agent's keys that match a configured IdentityFile's public key.
    const allowed = new Set(host.identityFiles.map(publicKeyBlob).filter((b): b is string => b !== undefined));
    if (allowed.size > 0) {
      steps.push({ method: 'publickey', describe: `agent (${agent}, IdentityFile keys only)`, make: async () => ({ type: 'agent', username, agent: new IdentityFileAgent(agent, allowed) }) });
    }
  }
  for (const file of host.identityFiles) {
    if (!existsSync(file) && !existsSync(`${file}.pub`)) continue;
    steps.push({
      method: 'publickey',
      describe: `key ${file}`,
      make: async () => {
        let why: string | undefined;
        const key = await loadKey(file, target, credentials, (w) => (why = w));
        if (!key) {
          tried.push(`key ${file}: ${why}`);
          return undefined;
        }
        return { type: 'publickey', username, key };
      },
    });
  }
  if (credentials && host.kbdInteractiveAuthentication) {
    steps.push({
      method: 'keyboard-interactive',
      describe: 'keyboard-interactive',
      make: async () => ({
        type: 'keyboard-interactive',
        username,
        prompt: (_name, instructions, _lang, prompts, finish) => {
          void (async () => {
            const answers: string[] = [];
            for (const p of prompts) {
              const answer = await credentials.get({ kind: 'keyboard-interactive', target, prompt: [instructions, p.prompt].filter(Boolean).join('\n'), echo: Boolean(p.echo), attempt: 1 });
              if (answer === undefined) break;
              answers.push(answer);
            }
            finish(answers);
          })();
        },
      }),
    });
  }
  if (credentials && host.passwordAuthentication) {
    steps.push({
      method: 'password',
      describe: 'password',
      make: async () => {
        const password = await credentials.get({ kind: 'password', target, prompt: `Password for ${target}`, echo: false, attempt: 1 });
        if (password === undefined) {
          tried.push('password: not given');
          return undefined;
        }
        return { type: 'password', username, password };
      },
    });
  }

  let index = 0;
  const handler: AuthHandlerMiddleware = (methodsLeft, _partial, next) => {
    if (pending) tried.push(`${pending}: rejected by the server`);
    pending = undefined;
    const allowed = (m: Step['method']) => !methodsLeft || methodsLeft.includes(m as AuthenticationType);
    void (async () => {
      while (index < steps.length) {
        const step = steps[index++]!;
        if (!allowed(step.method)) {
          tried.push(`${step.describe}: not offered by the server`);
          continue;
        }
        const method = await step.make();
        if (!method) continue;
        options.log.debug(`ssh ${target}: trying ${step.describe}`);
        pending = step.describe;
        next(method);
        return;
      }
      next(false as unknown as AuthenticationType);
    })();
  };
  return { handler, tried };
}
