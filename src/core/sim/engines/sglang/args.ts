// `python3 -m sglang.launch_server` options of the 0.5.x releases (python/sglang/srt/server_args.py). argparse
// store_true switches throughout; no --no-… forms.
import { opt, type OptionKind, type OptionSpec } from '../../argparse';

export const SGLANG_USAGE = 'usage: launch_server.py [-h] --model-path MODEL_PATH [--tokenizer-path TOKENIZER_PATH] [--host HOST] [--port PORT] ... (run with --help for the full list)';

export const SGLANG_ATTENTION_BACKENDS = ['triton', 'torch_native', 'flex_attention', 'nsa', 'cutlass_mla', 'fa3', 'fa4', 'flashinfer', 'flashmla', 'trtllm_mla', 'trtllm_mha', 'dual_chunk_flash_attn', 'aiter', 'wave', 'intel_amx', 'ascend', 'intel_xpu'] as const;
const QUANTIZATIONS = ['awq', 'fp8', 'gptq', 'marlin', 'gptq_marlin', 'awq_marlin', 'bitsandbytes', 'gguf', 'modelopt', 'modelopt_fp8', 'modelopt_fp4', 'petit_nvfp4', 'w8a8_int8', 'w8a8_fp8', 'moe_wna16', 'qoq', 'w4afp8', 'mxfp4', 'compressed-tensors'];
const SPECULATIVE_ALGORITHMS = ['EAGLE', 'EAGLE3', 'NEXTN', 'STANDALONE', 'NGRAM'];

const many = (kind: OptionKind, extra: Partial<OptionSpec>, ...names: string[]): OptionSpec[] => names.map((n) => opt(n, kind, extra));
const alias = (names: string[], kind: OptionKind, extra: Partial<OptionSpec> = {}): OptionSpec => opt(names, kind, extra);
const INERT: Partial<OptionSpec> = { effect: 'inert' };
const MODELLED: Partial<OptionSpec> = { effect: 'modelled' };

const MODEL_AND_SERVER: OptionSpec[] = [
  alias(['--model-path', '--model'], 'str', MODELLED),
  ...many('str', INERT, '--tokenizer-path', '--host', '--revision', '--served-model-name', '--chat-template', '--completion-template', '--file-storage-path', '--api-key', '--weight-version', '--download-dir', '--dist-init-addr', '--log-level', '--log-level-http', '--crash-dump-folder', '--json-model-override-args', '--preferred-sampling-params', '--tool-server', '--tokenizer-metrics-custom-labels-header'),
  opt('--tokenizer-mode', 'str', { ...INERT, choices: ['auto', 'slow'] }),
  ...many('int', INERT, '--port', '--nccl-port', '--tokenizer-worker-num', '--random-seed', '--base-gpu-id', '--gpu-id-step', '--nnodes', '--node-rank', '--decode-log-interval', '--warmups', '--log-requests-level'),
  ...many('flag', INERT, '--skip-tokenizer-init', '--trust-remote-code', '--is-embedding', '--enable-multimodal', '--skip-server-warmup', '--log-requests', '--show-time-cost', '--enable-metrics-for-all-schedulers', '--enable-cache-report', '--collect-tokens-histogram', '--enable-request-time-stats-logging', '--sleep-on-idle', '--stream-output'),
  opt('--enable-metrics', 'flag', MODELLED),
  ...many('str', INERT, '--load-format', '--model-impl', '--device', '--constrained-json-whitespace-pattern', '--grammar-backend', '--sampling-backend', '--reasoning-parser', '--tool-call-parser', '--kv-events-config'),
  opt('--model-loader-extra-config', 'str', INERT),
  ...many('float', INERT, '--watchdog-timeout', '--dist-timeout', '--gc-warning-threshold-secs'),
  opt('--stream-interval', 'int'),
  opt('--context-length', 'int', MODELLED),
  opt('--grpc-mode', 'flag', { ...INERT, since: '0.5.4' }),
  ...many('list', INERT, '--bucket-time-to-first-token', '--bucket-inter-token-latency', '--bucket-e2e-request-latency', '--prompt-tokens-buckets', '--generation-tokens-buckets'),
];

const QUANTIZATION_AND_MEMORY: OptionSpec[] = [
  opt('--dtype', 'str', { ...MODELLED, choices: ['auto', 'half', 'float16', 'bfloat16', 'float', 'float32'] }),
  opt('--quantization', 'str', { ...MODELLED, choices: QUANTIZATIONS }),
  opt('--quantization-param-path', 'str'),
  opt('--kv-cache-dtype', 'str', { ...MODELLED, choices: ['auto', 'fp8_e5m2', 'fp8_e4m3', 'bf16', 'bfloat16'] }),
  opt('--enable-fp32-lm-head', 'flag'),
  opt('--mem-fraction-static', 'float', MODELLED),
  ...many('int', MODELLED, '--max-running-requests', '--max-total-tokens', '--chunked-prefill-size', '--max-prefill-tokens'),
  opt('--max-queued-requests', 'int'),
  opt('--schedule-policy', 'str', { ...MODELLED, choices: ['lpm', 'random', 'fcfs', 'dfs-weight', 'lof', 'priority'] }),
  ...many('flag', {}, '--enable-priority-scheduling', '--schedule-low-priority-values-first'),
  opt('--priority-scheduling-preemption-threshold', 'int'),
  opt('--schedule-conservativeness', 'float'),
  opt('--page-size', 'int'),
  ...many('float', {}, '--hybrid-kvcache-ratio', '--swa-full-tokens-ratio'),
  opt('--disable-hybrid-swa-memory', 'flag'),
  opt('--radix-eviction-policy', 'str', { choices: ['lru', 'lfu'] }),
];

const PARALLEL: OptionSpec[] = [
  alias(['--tp-size', '--tp', '--tensor-parallel-size'], 'int', MODELLED),
  alias(['--pp-size', '--pipeline-parallel-size'], 'int', MODELLED),
  opt('--pp-max-micro-batch-size', 'int'),
  alias(['--dp-size', '--dp', '--data-parallel-size'], 'int', MODELLED),
  opt('--load-balance-method', 'str', { choices: ['round_robin', 'shortest_queue', 'minimum_tokens'] }),
  alias(['--ep-size', '--ep', '--expert-parallel-size'], 'int', MODELLED),
  opt('--enable-dp-attention', 'flag'),
  opt('--enable-dp-lm-head', 'flag'),
  opt('--moe-a2a-backend', 'str', { choices: ['none', 'deepep', 'mooncake'] }),
  opt('--moe-runner-backend', 'str'),
  opt('--deepep-mode', 'str', { choices: ['normal', 'low_latency', 'auto'] }),
  opt('--ep-num-redundant-experts', 'int'),
  ...many('flag', {}, '--enable-eplb', '--enable-two-batch-overlap', '--enable-single-batch-overlap', '--disable-shared-experts-fusion', '--disable-custom-all-reduce', '--enable-nccl-nvls', '--enable-symm-mem'),
  opt('--moe-dense-tp-size', 'int'),
];

const KERNELS: OptionSpec[] = [
  opt('--attention-backend', 'str', { ...MODELLED, choices: SGLANG_ATTENTION_BACKENDS }),
  opt('--prefill-attention-backend', 'str', { ...MODELLED, choices: SGLANG_ATTENTION_BACKENDS }),
  opt('--decode-attention-backend', 'str', { ...MODELLED, choices: SGLANG_ATTENTION_BACKENDS }),
  opt('--mm-attention-backend', 'str', INERT),
  ...many('str', { since: '0.5.3' }, '--nsa-prefill-backend', '--nsa-decode-backend'),
  opt('--cuda-graph-max-bs', 'int', MODELLED),
  opt('--cuda-graph-bs', 'list', MODELLED),
  opt('--disable-cuda-graph', 'flag', MODELLED),
  opt('--disable-cuda-graph-padding', 'flag'),
  opt('--enable-piecewise-cuda-graph', 'flag', { since: '0.5.4' }),
  opt('--disable-radix-cache', 'flag', MODELLED),
  opt('--enable-mixed-chunk', 'flag', MODELLED),
  opt('--disable-overlap-schedule', 'flag'),
  opt('--enable-torch-compile', 'flag'),
  opt('--torch-compile-max-bs', 'int'),
  opt('--triton-attention-num-kv-splits', 'int'),
  opt('--num-continuous-decode-steps', 'int'),
  opt('--enable-deterministic-inference', 'flag'),
];

const SPECULATIVE_AND_LORA: OptionSpec[] = [
  opt('--speculative-algorithm', 'str', { ...MODELLED, choices: SPECULATIVE_ALGORITHMS }),
  opt(['--speculative-draft-model-path', '--speculative-draft-model'], 'str', MODELLED),
  opt('--speculative-draft-model-revision', 'str', INERT),
  ...many('int', MODELLED, '--speculative-num-steps', '--speculative-eagle-topk', '--speculative-num-draft-tokens'),
  ...many('float', {}, '--speculative-accept-threshold-single', '--speculative-accept-threshold-acc'),
  opt('--speculative-token-map', 'str'),
  // NGRAM: the lookup window (how long a match must be) and the draft tree it builds from the matches.
  ...many('int', MODELLED, '--speculative-ngram-min-match-window-size', '--speculative-ngram-max-match-window-size'),
  ...many('int', {}, '--speculative-ngram-min-bfs-breadth', '--speculative-ngram-max-bfs-breadth', '--speculative-ngram-branch-length', '--speculative-ngram-capacity'),
  opt('--speculative-ngram-match-type', 'str', { choices: ['BFS', 'PROB'] }),
  opt('--enable-lora', 'flag'),
  ...many('int', {}, '--max-lora-rank', '--max-loaded-loras', '--max-loras-per-batch'),
  ...many('list', {}, '--lora-target-modules', '--lora-paths'),
  opt('--lora-backend', 'str'),
];

export const SGLANG_OPTIONS: readonly OptionSpec[] = [...MODEL_AND_SERVER, ...QUANTIZATION_AND_MEMORY, ...PARALLEL, ...KERNELS, ...SPECULATIVE_AND_LORA];
