// The two questions an SSH connection may ask, answered the VS Code way: secrets in SecretStorage (never settings or
// globalState), host keys in a modal dialog that shows the fingerprint.
import * as vscode from 'vscode';
import type { CredentialProvider, CredentialRequest, HostKeyPrompter, NewHostKey } from '../core/ssh/types';

const KEY_PREFIX = 'servingLab.credential:';
const INDEX_KEY = 'servingLab.credentialKeys';

function storageKey(request: CredentialRequest): string {
  return `${KEY_PREFIX}${request.kind}:${request.keyFile ?? request.target}`;
}

/** Asks once per secret, offers to remember it, and forgets a stored secret that stopped working. */
export class SecretStorageCredentials implements CredentialProvider {
  /** Keys of secrets typed in this session and not yet confirmed to work, with whether to remember them. */
  private readonly pending = new Map<string, { secret: string; remember: boolean }>();

  /** `index` remembers which keys were stored (names only), so they can all be forgotten. */
  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly index: vscode.Memento,
  ) {}

  private storedKeys(): string[] {
    return this.index.get<string[]>(INDEX_KEY) ?? [];
  }

  async get(request: CredentialRequest): Promise<string | undefined> {
    const key = storageKey(request);
    if (request.attempt === 1) {
      const stored = await this.secrets.get(key);
      if (stored !== undefined) return stored;
    } else {
      await this.secrets.delete(key);
    }
    const secret = await vscode.window.showInputBox({
      title: `Serving Lab: ${request.kind === 'passphrase' ? 'key passphrase' : 'password'} for ${request.target}`,
      prompt: request.attempt > 1 ? `${request.prompt} (the previous answer was not accepted)` : request.prompt,
      password: !request.echo,
      ignoreFocusOut: true,
    });
    if (secret === undefined) return undefined;
    const remember =
      (await vscode.window.showInformationMessage(`Remember this ${request.kind === 'passphrase' ? 'passphrase' : 'password'} for ${request.target} in VS Code's secret storage?`, 'Remember', 'Not now')) === 'Remember';
    this.pending.set(key, { secret, remember });
    return secret;
  }

  report(request: CredentialRequest, ok: boolean): void {
    const key = storageKey(request);
    const typed = this.pending.get(key);
    this.pending.delete(key);
    if (ok && typed?.remember) {
      void this.secrets.store(key, typed.secret);
      void this.index.update(INDEX_KEY, [...new Set([...this.storedKeys(), key])]);
    }
    if (!ok) void this.secrets.delete(key);
  }

  /** Deletes every secret Serving Lab stored; returns how many. */
  async forgetAll(): Promise<number> {
    const keys = this.storedKeys();
    for (const key of keys) await this.secrets.delete(key);
    await this.index.update(INDEX_KEY, []);
    return keys.length;
  }
}

/** An unknown host key: a modal dialog with the fingerprint; a changed key never reaches here (core refuses it). */
export class ModalHostKeyPrompter implements HostKeyPrompter {
  async confirmNewHostKey(key: NewHostKey): Promise<boolean> {
    const answer = await vscode.window.showWarningMessage(
      `The authenticity of host "${key.hostId}" can't be established.`,
      {
        modal: true,
        detail:
          `${key.keyType} key fingerprint is ${key.fingerprint}.\n\n` +
          `Not found in: ${key.checkedFiles.join(', ') || 'any known_hosts file'}.\n` +
          `Compare the fingerprint with the one your administrator gave you (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the host). ` +
          `If you trust it, Serving Lab records it in ${key.trustFile}.`,
      },
      'Trust and Connect',
    );
    return answer === 'Trust and Connect';
  }
}
