// Which release of each engine the simulated host runs. The version is written here once: the launch logs,
// `vllm --version`, `/version` and the per-version flag lists all read it from the engine config.
import type { SimEngineKind } from '../config';

/** The releases of the reference workflow; a host runs these unless told otherwise. */
export const DEFAULT_ENGINE_VERSIONS: Readonly<Record<SimEngineKind, string>> = { vllm: '0.11.0', sglang: '0.5.4.post2', trtllm: '1.2.0rc1' };

/** The version families the simulator has profiles for (flags, defaults, refusals). */
const SUPPORTED: Readonly<Record<SimEngineKind, { pattern: RegExp; text: string }>> = {
  vllm: { pattern: /^0\.(10|11|12|13)\./, text: '0.10.x–0.13.x' },
  sglang: { pattern: /^0\.5\./, text: '0.5.x' },
  trtllm: { pattern: /^1\./, text: '1.x' },
};

/** Environment variable that makes the simulated host run another release (`SERVING_LAB_SIM_VLLM_VERSION=0.10.2`). */
export const VERSION_ENV: Readonly<Record<SimEngineKind, string>> = {
  vllm: 'SERVING_LAB_SIM_VLLM_VERSION',
  sglang: 'SERVING_LAB_SIM_SGLANG_VERSION',
  trtllm: 'SERVING_LAB_SIM_TRTLLM_VERSION',
};

export class UnsupportedEngineVersionError extends Error {}

/** The release the simulated host runs for `engine`: the environment's choice, or the default. */
export function engineVersion(engine: SimEngineKind, env: Readonly<Record<string, string | undefined>> = {}): string {
  const chosen = env[VERSION_ENV[engine]]?.trim().replace(/^v/, '');
  if (!chosen) return DEFAULT_ENGINE_VERSIONS[engine];
  if (!SUPPORTED[engine].pattern.test(`${chosen}.`)) {
    throw new UnsupportedEngineVersionError(
      `${VERSION_ENV[engine]}=${chosen}: the simulated host has profiles for ${engine} ${SUPPORTED[engine].text}; unset it for ${DEFAULT_ENGINE_VERSIONS[engine]}`,
    );
  }
  return chosen;
}

/** Release parts in order: 1.2.0rc1 → [1, 2, 0, -1, 1] (a release candidate sorts before its release), 0.5.4.post2 → [0, 5, 4, 0, 2]. */
function versionKey(version: string): number[] {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|\.post|post)(\d+))?/.exec(version);
  if (!m) return [0, 0, 0, 0, 0];
  const tag = m[4] === 'rc' ? -1 : 0;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0), tag, Number(m[5] ?? 0)];
}

export function compareVersions(a: string, b: string): number {
  const ka = versionKey(a);
  const kb = versionKey(b);
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! - kb[i]!;
  return 0;
}

/** True when `version` is `min` or later. */
export const atLeast = (version: string, min: string): boolean => compareVersions(version, min) >= 0;
