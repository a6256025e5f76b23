// Crash classification from an engine's log (research/engines.md §4.2). The root cause is the FIRST line matching a
// fatal signature: later lines are consequences (other ranks dying, vLLM's "Engine core initialization failed"
// wrapper), and reporting those would send the user after the wrong problem.
import type { Crash, CrashReason } from '../plan/schema';

interface Signature {
  reason: CrashReason;
  pattern: RegExp;
  /** Weak signatures (noise that also appears in healthy runs) only count when nothing strong matched. */
  weak?: boolean;
}

// Order matters within one line: the first matching signature names the reason.
const SIGNATURES: readonly Signature[] = [
  { reason: 'kv-cache-too-small', pattern: /To serve at least one request with the models?'s max seq len/ },
  { reason: 'kv-cache-too-small', pattern: /No available memory for the cache blocks/ },
  { reason: 'kv-cache-too-small', pattern: /Not enough memory\. Please try to increase --mem-fraction-static/ },
  { reason: 'fp8-unsupported', pattern: /fp8e4nv (data type is )?not supported/ },
  { reason: 'fp8-unsupported', pattern: /size_n = \d+ is not divisible by tile_n_size/ },
  { reason: 'fp8-unsupported', pattern: /is not divisible by weight quantization block_n/ },
  { reason: 'fp8-unsupported', pattern: /FP8 .*(is )?not supported on (this|CUDA|the current)/i },
  { reason: 'pp-unsupported', pattern: /Pipeline parallelism is not supported for this model/ },
  // SGLang's model runner; anchored on the exception so the quoted `assert` source line above it is not the cause.
  { reason: 'pp-unsupported', pattern: /AssertionError: Pipeline Parallel is not compatible with this model/ },
  // vLLM checks the layout up front; SGLang only fails when a rank opens a device that does not exist.
  { reason: 'parallel-layout', pattern: /World size \(\d+\) is larger than the number of available GPUs/ },
  { reason: 'parallel-layout', pattern: /CUDA error: invalid device ordinal/ },
  { reason: 'backend-unsupported', pattern: /FlashAttention v3 Backend requires SM/ },
  { reason: 'backend-unsupported', pattern: /FA4 backend is only supported for prefill/ },
  { reason: 'backend-unsupported', pattern: /argument --attention-backend: invalid choice/ },
  { reason: 'backend-unsupported', pattern: /Invalid attention backend/i },
  { reason: 'backend-unsupported', pattern: /attention backend .* (is )?not supported/i },
  { reason: 'oom', pattern: /CUDA out of memory/ },
  { reason: 'oom', pattern: /OutOfMemoryError/ },
  { reason: 'oom', pattern: /Free memory on device \S+ .* on startup is less than desired GPU memory utilization/ },
  { reason: 'oom', pattern: /RuntimeError: .*out of memory/i },
  { reason: 'port-in-use', pattern: /\[Errno 98\]/ },
  { reason: 'port-in-use', pattern: /address already in use/i },
  { reason: 'port-in-use', pattern: /Failed to bind socket to/ },
  { reason: 'model-not-found', pattern: /Invalid repository ID or local directory specified/ },
  { reason: 'model-not-found', pattern: /RepositoryNotFoundError/ },
  { reason: 'model-not-found', pattern: /GatedRepoError/ },
  { reason: 'model-not-found', pattern: /401 Client Error/ },
  { reason: 'model-not-found', pattern: /is not a local folder and is not a valid model identifier/ },
  { reason: 'nccl', pattern: /NCCL error/ },
  { reason: 'nccl', pattern: /DistBackendError/ },
  { reason: 'nccl', pattern: /unhandled (cuda|system) error/ },
  { reason: 'nccl', pattern: /Watchdog caught collective operation timeout/ },
  { reason: 'nccl', pattern: /ibv_modify_qp failed/ },
  { reason: 'bad-arguments', pattern: /error: unrecognized arguments:/ },
  { reason: 'bad-arguments', pattern: /error: argument \S+: invalid/ },
  { reason: 'bad-arguments', pattern: /Error: (No such option|Invalid value for)/ },
  // Known fatal lines without a category of their own: they still beat a generic traceback line as the root cause.
  { reason: 'unknown', pattern: /No CUDA GPUs are available|Failed to infer device type|No GPU devices found/ },
  { reason: 'unknown', pattern: /Model architectures \[.*\] are not supported/ },
  { reason: 'nccl', pattern: /NCCL WARN/, weak: true },
];

/** Lines that only say "something above failed"; never a root cause. */
const WRAPPERS = [/Engine core initialization failed/, /WorkerProc failed to start/, /See root cause above/];

const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/** How many of the last log lines a Crash keeps. */
const CRASH_EXCERPT_LINES = 40;

export interface FatalLine {
  reason: CrashReason;
  line: string;
  index: number;
}

/** The first strong fatal line of a log, else the first weak one (or undefined). */
function findFatalLine(lines: readonly string[]): FatalLine | undefined {
  let weak: FatalLine | undefined;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.replace(ANSI, '');
    if (WRAPPERS.some((w) => w.test(line))) continue;
    const sig = SIGNATURES.find((s) => s.pattern.test(line));
    if (!sig) continue;
    if (!sig.weak) return { reason: sig.reason, line: line.trim(), index };
    weak ??= { reason: sig.reason, line: line.trim(), index };
  }
  return weak;
}

function strongOnly(lines: readonly string[]): FatalLine | undefined {
  const found = findFatalLine(lines);
  if (!found) return undefined;
  const line = lines[found.index]!.replace(ANSI, '');
  return SIGNATURES.some((s) => !s.weak && s.pattern.test(line)) ? found : undefined;
}

/** Classifies a dead (or fatally failing) engine from its log lines. */
export function classifyCrash(logLines: readonly string[], options: { exitCode?: number | null } = {}): Crash {
  const lines = logLines.map((l) => l.replace(ANSI, '').replace(/\r$/, ''));
  const excerpt = lines.filter((l) => l.trim() !== '').slice(-CRASH_EXCERPT_LINES);
  const fatal = findFatalLine(lines);
  if (fatal) return { reason: fatal.reason, rootCause: fatal.line, logExcerpt: excerpt, exitCode: options.exitCode };
  const errorLine = [...lines].reverse().find((l) => /(Error|Exception|FATAL|Traceback)/.test(l) && !WRAPPERS.some((w) => w.test(l)));
  const lastLine = [...lines].reverse().find((l) => l.trim() !== '');
  const rootCause =
    errorLine?.trim() ??
    lastLine?.trim() ??
    `the engine exited${options.exitCode !== undefined && options.exitCode !== null ? ` with code ${options.exitCode}` : ''} without printing anything`;
  return { reason: 'unknown', rootCause, logExcerpt: excerpt, exitCode: options.exitCode };
}

/** True when the log holds a strong fatal signature (a weak one, like `NCCL WARN`, is not enough to call a crash). */
export function hasFatalLine(lines: readonly string[]): boolean {
  return strongOnly(lines) !== undefined;
}
