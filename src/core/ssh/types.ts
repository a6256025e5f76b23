// The two questions an SSH connection may have to ask the user. Core stays UI-free: the CLI answers them with TTY
// prompts, the extension with SecretStorage and modal dialogs.

export interface CredentialRequest {
  kind: 'passphrase' | 'password' | 'keyboard-interactive';
  /** "user@host:port", for the prompt and as a storage key. */
  target: string;
  /** The encrypted key file, for kind "passphrase". */
  keyFile?: string;
  /** What to show: "Passphrase for /home/u/.ssh/id_ed25519", or the server's keyboard-interactive prompt. */
  prompt: string;
  /** Whether the answer may be shown while typed (keyboard-interactive prompts say so). */
  echo: boolean;
  /** 1 on the first ask; 2+ after a wrong answer (a stored secret must not be offered again). */
  attempt: number;
}

export interface CredentialProvider {
  /** The secret, or undefined when the user declines or cannot be asked (no TTY). */
  get(request: CredentialRequest): Promise<string | undefined>;
  /** Told whether a secret worked, so a store can keep it or forget it. */
  report?(request: CredentialRequest, ok: boolean): void;
}

export interface NewHostKey {
  /** The name the key is recorded under: "gpubox" or "[10.0.0.5]:2222". */
  hostId: string;
  host: string;
  port: number;
  keyType: string;
  /** "SHA256:…" as OpenSSH prints it. */
  fingerprint: string;
  /** The files that were checked and did not know the host. */
  checkedFiles: string[];
  /** Where the key will be stored when accepted. */
  trustFile: string;
}

export interface HostKeyPrompter {
  /** True to trust an unknown host key (it is then stored in Serving Lab's trust file). Never asked for a changed key. */
  confirmNewHostKey(key: NewHostKey): Promise<boolean>;
}

/** A connection failure a retry cannot fix (host key refused, authentication failed, bad config). */
export class SshSetupError extends Error {}
