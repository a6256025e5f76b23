// `trtllm-serve [serve] MODEL` options of the 1.x releases (tensorrt_llm/commands/serve.py, click, underscores).
import { opt, type OptionSpec } from '../../argparse';

export const TRTLLM_USAGE = 'Usage: trtllm-serve serve [OPTIONS] MODEL';

const INERT: Partial<OptionSpec> = { effect: 'inert' };
const MODELLED: Partial<OptionSpec> = { effect: 'modelled' };

export const TRTLLM_OPTIONS: readonly OptionSpec[] = [
  opt('--tokenizer', 'str', INERT),
  opt('--host', 'str', INERT),
  opt('--port', 'int', INERT),
  opt('--backend', 'str', { choices: ['pytorch', 'tensorrt', 'trt', '_autodeploy'] }),
  opt('--log_level', 'str', { ...INERT, choices: ['internal_error', 'error', 'warning', 'info', 'verbose', 'debug', 'trace'] }),
  opt(['--tp_size', '--tensor_parallel_size'], 'int', MODELLED),
  opt(['--pp_size', '--pipeline_parallel_size'], 'int', MODELLED),
  opt(['--ep_size', '--moe_expert_parallel_size'], 'int', MODELLED),
  opt('--cluster_size', 'int'),
  opt('--cp_size', 'int'),
  opt('--gpus_per_node', 'int', INERT),
  opt('--max_batch_size', 'int', MODELLED),
  opt('--max_num_tokens', 'int', MODELLED),
  opt('--max_seq_len', 'int', MODELLED),
  opt('--max_beam_width', 'int'),
  opt(['--kv_cache_free_gpu_memory_fraction', '--free_gpu_memory_fraction'], 'float', MODELLED),
  opt('--num_postprocess_workers', 'int', INERT),
  opt('--trust_remote_code', 'flag', INERT),
  opt('--enable_chunked_prefill', 'flag', MODELLED),
  opt(['--extra_llm_api_options', '--config'], 'str', MODELLED),
  opt('--reasoning_parser', 'str', INERT),
  opt('--tool_parser', 'str', { ...INERT, since: '1.1.0' }),
  opt('--served_model_name', 'str', INERT),
  opt('--metadata_server_config_file', 'str', INERT),
  opt('--server_role', 'str', INERT),
  opt('--fail_fast_on_attention_window_too_large', 'flag', INERT),
  opt('--otlp_traces_endpoint', 'str', { ...INERT, since: '1.1.0' }),
  opt('--media_io_kwargs', 'str', INERT),
];
