// `vllm serve` options per release (vllm/engine/arg_utils.py and entrypoints/openai/cli_args.py, 0.10–0.13).
// Bool config fields are BooleanOptionalAction (`--no-…` too); the API server's switches are plain store_true.
import { opt, type OptionEffect, type OptionKind, type OptionSpec } from '../../argparse';

export const VLLM_USAGE = 'usage: vllm serve [model_tag] [options]';

export const VLLM_ATTENTION_BACKENDS = ['FLASH_ATTN', 'TRITON_ATTN', 'XFORMERS', 'ROCM_FLASH', 'ROCM_AITER_MLA', 'ROCM_AITER_FA', 'TORCH_SDPA', 'FLASHINFER', 'FLASHINFER_MLA', 'TRITON_MLA', 'CUTLASS_MLA', 'FLASHMLA', 'FLASH_ATTN_MLA', 'PALLAS', 'IPEX', 'NO_ATTENTION', 'FLEX_ATTENTION', 'TREE_ATTN', 'XFORMERS_VLLM_V1'] as const;

/** Several options of one kind and effect: `many('str', undefined, '--tokenizer', '--revision')`. */
const many = (kind: OptionKind, extra: Partial<OptionSpec>, ...names: string[]): OptionSpec[] => names.map((n) => opt(n, kind, extra));
const INERT: Partial<OptionSpec> = { effect: 'inert' };
const boolField = (names: string | string[], effect?: OptionEffect, extra: Partial<OptionSpec> = {}): OptionSpec => opt(names, 'flag', { negatable: true, ...(effect ? { effect } : {}), ...extra });

const MODEL: OptionSpec[] = [
  opt('--model', 'str', { effect: 'modelled' }),
  ...many('str', INERT, '--tokenizer', '--revision', '--code-revision', '--tokenizer-revision', '--hf-config-path', '--allowed-local-media-path', '--generation-config', '--logits-processor-pattern', '--io-processor-plugin'),
  opt('--allowed-media-domains', 'list', { ...INERT, since: '0.11.1' }),
  opt('--runner', 'str', { since: '0.10.2', choices: ['auto', 'draft', 'generate', 'pooling'] }),
  opt('--convert', 'str', { since: '0.10.2', choices: ['auto', 'classify', 'embed', 'none', 'reward'] }),
  opt('--task', 'str'),
  opt('--tokenizer-mode', 'str', { ...INERT, choices: ['auto', 'custom', 'mistral', 'slow'] }),
  boolField('--trust-remote-code', 'inert'),
  opt('--dtype', 'str', { effect: 'modelled', choices: ['auto', 'bfloat16', 'float', 'float16', 'float32', 'half'] }),
  opt('--seed', 'int', INERT),
  opt('--rope-scaling', 'json'),
  opt('--rope-theta', 'float'),
  opt('--max-model-len', 'int', { effect: 'modelled' }),
  opt(['--quantization', '-q'], 'str', { effect: 'modelled' }),
  boolField('--enforce-eager', 'modelled'),
  opt('--max-logprobs', 'int', INERT),
  opt('--logprobs-mode', 'str', { ...INERT, choices: ['processed_logits', 'processed_logprobs', 'raw_logits', 'raw_logprobs'] }),
  boolField('--disable-sliding-window'),
  boolField('--disable-cascade-attn'),
  boolField('--skip-tokenizer-init', 'inert'),
  boolField('--enable-prompt-embeds', 'inert'),
  opt('--served-model-name', 'list', INERT),
  opt('--config-format', 'str', { ...INERT, choices: ['auto', 'hf', 'mistral'] }),
  opt('--hf-token', 'str', INERT),
  ...many('json', {}, '--hf-overrides', '--pooler-config', '--override-pooler-config'),
  opt('--override-generation-config', 'json', INERT),
  boolField('--enable-sleep-mode', 'inert'),
  opt('--model-impl', 'str', { choices: ['auto', 'vllm', 'transformers', 'terratorch'] }),
  opt('--override-attention-dtype', 'str'),
  opt('--logits-processors', 'list'),
  opt('--attention-backend', 'str', { effect: 'modelled', since: '0.12.0' }),
];

const LOAD: OptionSpec[] = [
  ...many('str', INERT, '--load-format', '--download-dir', '--pt-load-map-location'),
  opt('--safetensors-load-strategy', 'str', { ...INERT, since: '0.11.1' }),
  opt('--model-loader-extra-config', 'json', INERT),
  opt('--ignore-patterns', 'list', INERT),
  boolField('--use-tqdm-on-load', 'inert'),
  opt('--reasoning-parser', 'str', INERT),
  ...many('str', { ...INERT, until: '0.12.0' }, '--guided-decoding-backend', '--guided-decoding-disable-fallback', '--guided-decoding-disable-any-whitespace', '--guided-decoding-disable-additional-properties'),
];

const PARALLEL: OptionSpec[] = [
  opt('--distributed-executor-backend', 'str', { ...INERT, choices: ['external_launcher', 'mp', 'ray', 'uni'] }),
  opt(['--pipeline-parallel-size', '-pp'], 'int', { effect: 'modelled' }),
  opt(['--tensor-parallel-size', '-tp'], 'int', { effect: 'modelled' }),
  opt(['--decode-context-parallel-size', '-dcp'], 'int', { since: '0.10.2' }),
  opt(['--data-parallel-size', '-dp'], 'int', { effect: 'modelled' }),
  opt(['--data-parallel-rank', '-dpn'], 'int'),
  opt(['--data-parallel-start-rank', '-dpr'], 'int'),
  opt(['--data-parallel-size-local', '-dpl'], 'int'),
  opt(['--data-parallel-address', '-dpa'], 'str'),
  opt(['--data-parallel-rpc-port', '-dpp'], 'int'),
  opt(['--data-parallel-backend', '-dpb'], 'str'),
  boolField('--data-parallel-hybrid-lb'),
  boolField(['--enable-expert-parallel', '-ep'], 'modelled'),
  opt('--all2all-backend', 'str', { since: '0.11.1', choices: ['allgather_reducescatter', 'deepep_high_throughput', 'deepep_low_latency', 'flashinfer_all2allv', 'naive', 'pplx'] }),
  boolField('--enable-dbo', undefined, { since: '0.11.0' }),
  ...many('int', { since: '0.11.0' }, '--dbo-decode-token-threshold', '--dbo-prefill-token-threshold'),
  boolField('--disable-nccl-for-dp-synchronization', undefined, { since: '0.11.0' }),
  boolField('--enable-eplb'),
  opt('--eplb-config', 'json', { since: '0.10.2' }),
  opt('--expert-placement-strategy', 'str', { since: '0.11.0', choices: ['linear', 'round_robin'] }),
  ...many('int', { until: '0.12.0' }, '--num-redundant-experts', '--eplb-window-size', '--eplb-step-interval'),
  boolField('--eplb-log-balancedness', undefined, { until: '0.12.0' }),
  opt('--max-parallel-loading-workers', 'int', INERT),
  boolField('--ray-workers-use-nsight', 'inert'),
  boolField('--disable-custom-all-reduce'),
  ...many('str', {}, '--worker-cls', '--worker-extension-cls'),
  opt('--enable-multimodal-encoder-data-parallel', 'flag', { ...INERT, until: '0.12.0' }),
];

const CACHE: OptionSpec[] = [
  opt('--block-size', 'int', { effect: 'inert', choices: ['1', '8', '16', '32', '64', '128'] }),
  opt('--gpu-memory-utilization', 'float', { effect: 'modelled' }),
  opt('--kv-cache-memory-bytes', 'int', { since: '0.11.0' }),
  opt('--swap-space', 'float', INERT),
  opt('--kv-cache-dtype', 'str', { effect: 'modelled', choices: ['auto', 'bfloat16', 'fp8', 'fp8_ds_mla', 'fp8_e4m3', 'fp8_e5m2', 'fp8_inc'] }),
  opt('--num-gpu-blocks-override', 'int'),
  boolField('--enable-prefix-caching', 'modelled'),
  opt('--prefix-caching-hash-algo', 'str', { ...INERT, choices: ['sha256', 'sha256_cbor', 'builtin', 'sha256_cbor_64bit'] }),
  opt('--cpu-offload-gb', 'float'),
  boolField('--calculate-kv-scales'),
  boolField('--kv-sharing-fast-prefill'),
  ...many('str', {}, '--mamba-cache-dtype', '--mamba-ssm-cache-dtype'),
  opt('--mamba-block-size', 'int', { since: '0.11.1' }),
];

const MULTIMODAL: OptionSpec[] = [
  ...many('json', INERT, '--limit-mm-per-prompt', '--media-io-kwargs', '--mm-processor-kwargs'),
  boolField('--enable-mm-embeds', 'inert', { since: '0.11.0' }),
  opt('--mm-processor-cache-gb', 'float', INERT),
  opt('--disable-mm-preprocessor-cache', 'flag', { ...INERT, until: '0.12.0' }),
  opt('--mm-processor-cache-type', 'str', { ...INERT, choices: ['lru', 'shm'] }),
  opt('--mm-shm-cache-max-object-size-mb', 'int', INERT),
  opt('--mm-encoder-tp-mode', 'str', { ...INERT, choices: ['data', 'weights'] }),
  opt('--mm-encoder-attn-backend', 'str', { ...INERT, since: '0.11.1' }),
  boolField('--interleave-mm-strings', 'inert'),
  boolField('--skip-mm-profiling', 'inert'),
  opt('--video-pruning-rate', 'float', { ...INERT, since: '0.11.0' }),
];

const LORA: OptionSpec[] = [
  boolField('--enable-lora'),
  ...many('int', {}, '--max-loras', '--max-lora-rank', '--lora-extra-vocab-size', '--max-cpu-loras'),
  opt('--lora-dtype', 'str'),
  boolField('--fully-sharded-loras'),
  opt('--default-mm-loras', 'json'),
];

const SCHEDULER: OptionSpec[] = [
  opt('--show-hidden-metrics-for-version', 'str', { effect: 'modelled' }),
  opt('--otlp-traces-endpoint', 'str', INERT),
  opt('--collect-detailed-traces', 'list', INERT),
  opt('--max-num-batched-tokens', 'int', { effect: 'modelled' }),
  opt('--max-num-seqs', 'int', { effect: 'modelled' }),
  ...many('int', {}, '--max-num-partial-prefills', '--max-long-partial-prefills', '--long-prefill-token-threshold', '--num-lookahead-slots'),
  opt('--scheduling-policy', 'str', { effect: 'modelled', choices: ['fcfs', 'priority'] }),
  boolField('--enable-chunked-prefill', 'modelled'),
  boolField('--disable-chunked-mm-input', 'inert'),
  opt('--scheduler-cls', 'str'),
  boolField('--disable-hybrid-kv-cache-manager'),
  boolField('--async-scheduling'),
];

const COMPILATION: OptionSpec[] = [
  opt('--cuda-graph-sizes', 'list', { effect: 'modelled', until: '0.13.0' }),
  opt('--cudagraph-capture-sizes', 'list', { effect: 'modelled', since: '0.11.1' }),
  opt('--max-cudagraph-capture-size', 'int', { effect: 'modelled', since: '0.11.1' }),
  opt('--max-seq-len-to-capture', 'int', { until: '0.11.0' }),
  opt('--speculative-config', 'json', { effect: 'modelled' }),
  ...many('json', {}, '--kv-transfer-config', '--kv-events-config', '--additional-config'),
  opt(['--compilation-config', '-O'], 'json', { effect: 'modelled' }),
  opt('--structured-outputs-config', 'json', { ...INERT, since: '0.11.0' }),
  opt('--disable-log-stats', 'flag', INERT),
  opt('--aggregate-engine-logging', 'flag', { ...INERT, since: '0.11.1' }),
  boolField('--enable-log-requests', 'inert', { since: '0.10.2' }),
  opt('--disable-log-requests', 'flag', { ...INERT, until: '0.12.0' }),
];

const API_SERVER: OptionSpec[] = [
  opt('--host', 'str', INERT),
  opt('--port', 'int', INERT),
  opt('--uds', 'str', INERT),
  opt('--uvicorn-log-level', 'str', { ...INERT, choices: ['critical', 'debug', 'error', 'info', 'trace', 'warning'] }),
  ...many('flag', INERT, '--disable-uvicorn-access-log', '--allow-credentials', '--enable-ssl-refresh', '--return-tokens-as-token-ids', '--disable-frontend-multiprocessing', '--enable-request-id-headers', '--enable-auto-tool-choice', '--exclude-tools-when-tool-choice-none', '--disable-fastapi-docs', '--enable-prompt-tokens-details', '--enable-server-load-tracking', '--enable-force-include-usage', '--enable-tokenizer-info-endpoint', '--enable-log-outputs', '--headless', '--trust-request-chat-template', '--log-error-stack'),
  ...many('json', INERT, '--allowed-origins', '--allowed-methods', '--allowed-headers'),
  ...many('list', INERT, '--api-key', '--lora-modules', '--middleware'),
  ...many('str', INERT, '--chat-template', '--response-role', '--ssl-keyfile', '--ssl-certfile', '--ssl-ca-certs', '--root-path', '--tool-call-parser', '--tool-parser-plugin', '--tool-server', '--log-config-file', '--config'),
  opt('--chat-template-content-format', 'str', { ...INERT, choices: ['auto', 'openai', 'string'] }),
  ...many('int', INERT, '--ssl-cert-reqs', '--max-log-len', '--h11-max-incomplete-event-size', '--h11-max-header-count'),
  opt(['--api-server-count', '-asc'], 'int', INERT),
];

export const VLLM_SERVE_OPTIONS: readonly OptionSpec[] = [...MODEL, ...LOAD, ...PARALLEL, ...CACHE, ...MULTIMODAL, ...LORA, ...SCHEDULER, ...COMPILATION, ...API_SERVER];
