// A model's config.json where the host's engine will load it (a model directory given by path, or the host's Hugging
// Face cache), so forecasts for a host work for models the simulator's catalog does not know. Read only: nothing is
// downloaded, and a model found nowhere is reported, not guessed.
import { hubCacheFolder } from '../sim/models/index';
import type { Transport } from './transport';

export interface HostModelConfig {
  /** The config.json text. */
  text: string;
  /** Where it was read: "gpubox:/models/x/config.json". */
  source: string;
}

const REPO_ID = /^[\w.-]+\/[\w.-]+$/;

/**
 * The newest snapshot's config.json of `$1` (a hub-cache folder name) in the cache huggingface_hub would use with
 * the engine's environment: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub. The folder arrives as a
 * positional argument, never inside the script. Prints the path, then the file; exit 3 when there is none.
 */
const HUB_CACHE_SCRIPT = [
  'cache="${HF_HUB_CACHE:-${HF_HOME:-$HOME/.cache/huggingface}/hub}"',
  'for f in $(ls -1t "$cache/$1/snapshots" 2>/dev/null); do',
  '  c="$cache/$1/snapshots/$f/config.json"',
  '  if [ -f "$c" ]; then printf "%s\\n" "$c"; cat "$c"; exit 0; fi',
  'done',
  'exit 3',
].join('\n');

/**
 * Reads the config.json of `model` on the host: `model` as a directory or a .json file when it is a path, else from
 * the Hugging Face cache under the engine's environment `env` (HF_HOME and friends as the engine would see them).
 * Undefined when the host has none.
 */
export async function readHostModelConfig(transport: Transport, host: string, model: string, options: { env?: Record<string, string>; signal?: AbortSignal } = {}): Promise<HostModelConfig | undefined> {
  const trimmed = model.replace(/\/+$/, '');
  if (trimmed.startsWith('/') || trimmed.startsWith('~/')) {
    const file = trimmed.endsWith('.json') ? trimmed : `${trimmed}/config.json`;
    try {
      return { text: await transport.readFile(file, { signal: options.signal }), source: `${host}:${file}` };
    } catch {
      return undefined;
    }
  }
  if (!REPO_ID.test(trimmed)) return undefined;
  const r = await transport.exec(['sh', '-c', HUB_CACHE_SCRIPT, 'sh', hubCacheFolder(trimmed)], { env: options.env, signal: options.signal });
  if (r.exitCode !== 0) return undefined;
  const newline = r.stdout.indexOf('\n');
  return { text: r.stdout.slice(newline + 1), source: `${host}:${r.stdout.slice(0, newline)}` };
}
