// Each engine release accepts its own flags, refuses the rest the way its parser does, and argparse's rules for
// where one option's values end.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planLaunch, type LaunchPlan } from '../../../src/core/sim/engines/index';
import { compareVersions, UnsupportedEngineVersionError } from '../../../src/core/sim/engines/versions';
import { resolveGpu } from '../../../src/core/sim/gpus';

const A100 = { gpu: resolveGpu('A100-SXM4-80GB'), count: 4, speedup: 1 };
const logText = (p: LaunchPlan) => p.events.flatMap((e) => (e.kind === 'log' ? [e.text] : [])).join('\n');
const release = (engine: string, version: string) => ({ env: { [`SERVING_LAB_SIM_${engine.toUpperCase()}_VERSION`]: version } });

test('a list option ends at the next option string, known or not, as argparse ends it', () => {
  // The case: --served-model-name swallowed `-tp 4`, so the model loaded on one GPU and ran out of memory.
  const c = planLaunch('vllm', ['zai-org/GLM-4.5-Air', '--served-model-name', 'glm', '-tp', '4'], A100);
  assert.equal(c.crash, undefined, c.crash?.rootCause);
  assert.deepEqual([c.config!.tp, c.config!.servedModelName], [4, 'glm']);
  const two = planLaunch('vllm', ['zai-org/GLM-4.5-Air', '--served-model-name', 'a', 'b', '--max-num-seqs', '8', '-tp', '4'], A100).config!;
  assert.deepEqual([two.servedModelName, two.maxRunning], ['a', 8]);
  // An unknown option string also ends the list, and is then refused on its own.
  assert.match(logText(planLaunch('vllm', ['m', '--served-model-name', 'a', '--no-such-flag'], A100)), /unrecognized arguments: --no-such-flag$/m);
  // An option string is never taken as a value; a negative number is.
  assert.match(logText(planLaunch('vllm', ['m', '--port', '--max-num-seqs', '8'], A100)), /argument --port: expected one argument/);
  assert.equal(planLaunch('sglang', ['--model-path', 'zai-org/GLM-4.5-Air', '--tp', '4', '--chunked-prefill-size', '-1'], A100).config!.chunkedPrefill, false);
});

test('vLLM flags by release: -dcp from 0.10.2, --cudagraph-capture-sizes from 0.11.1, --attention-backend from 0.12', () => {
  const glm = ['zai-org/GLM-4.5-Air', '-tp', '4'];
  assert.match(logText(planLaunch('vllm', [...glm, '-dcp', '2'], A100, release('vllm', '0.10.1'))), /vllm serve: error: unrecognized arguments: -dcp 2/);
  assert.equal(planLaunch('vllm', [...glm, '-dcp', '2'], A100).crash, undefined);
  assert.match(logText(planLaunch('vllm', [...glm, '--cudagraph-capture-sizes', '8', '16'], A100)), /unrecognized arguments: --cudagraph-capture-sizes 8 16/);
  assert.equal(planLaunch('vllm', [...glm, '--cudagraph-capture-sizes', '8', '16'], A100, release('vllm', '0.11.1')).config!.cudaGraphMaxBatch, 16);
  const flag = planLaunch('vllm', [...glm, '--attention-backend', 'FLASHINFER'], A100, release('vllm', '0.12.0'));
  assert.equal(flag.config!.attentionBackend, 'FLASHINFER');
  assert.match(logText(flag), /vLLM API server version 0\.12\.0/);
  assert.equal(flag.config!.version, '0.12.0');
});

test('SGLang 0.5.x and TensorRT-LLM 1.x flags, and a release without a profile is refused', () => {
  const glm = ['--model-path', 'zai-org/GLM-4.5-Air', '--tp', '4'];
  assert.equal(planLaunch('sglang', [...glm, '--nsa-prefill-backend', 'flashmla_sparse'], A100).crash, undefined);
  assert.match(logText(planLaunch('sglang', [...glm, '--nsa-prefill-backend', 'flashmla_sparse'], A100, release('sglang', '0.5.2'))), /unrecognized arguments: --nsa-prefill-backend flashmla_sparse/);
  const spec = planLaunch('sglang', [...glm, '--speculative-algorithm', 'EAGLE', '--speculative-draft-model-path', 'x/eagle', '--speculative-num-steps', '2'], A100);
  assert.deepEqual([spec.config!.speculative?.method, spec.config!.speculative?.draftTokens], ['EAGLE', 2]);
  assert.match(logText(planLaunch('trtllm', ['Qwen/Qwen3-30B-A3B', '--tool_parser', 'qwen3'], A100, release('trtllm', '1.0.0'))), /Error: No such option: --tool_parser/);
  assert.throws(() => planLaunch('vllm', ['m'], A100, release('vllm', '0.8.5')), (e: Error) => e instanceof UnsupportedEngineVersionError && /profiles for vllm 0\.10\.x/.test(e.message));
  assert.ok(compareVersions('1.2.0rc1', '1.2.0') < 0 && compareVersions('0.5.4.post2', '0.5.4') > 0 && compareVersions('0.11.0', '0.10.2') > 0);
});

test('architectures by release, and the refusals a real host gives: FP8 on SM80 in TensorRT-LLM, parallel sizes past the host', () => {
  const unknown = planLaunch('trtllm', ['zai-org/GLM-4.5-Air', '--tp_size', '4'], A100);
  assert.match(unknown.crash!.rootCause, /Unknown architecture for AutoModelForCausalLM: Glm4MoeForCausalLM/);
  // Support arrived after 1.2.0rc1; on A100 the FP8 checkpoint then fails on its block-scaled GEMM (calibration page 241).
  const newer = release('trtllm', '1.2.0');
  assert.equal(planLaunch('trtllm', ['zai-org/GLM-4.5-Air', '--tp_size', '4'], A100, newer).crash, undefined);
  assert.match(planLaunch('trtllm', ['zai-org/GLM-4.5-Air-FP8', '--tp_size', '4'], A100, newer).crash!.rootCause, /^RuntimeError: Unsupported SM version for FP8 block scaling GEMM$/);
  assert.match(planLaunch('trtllm', ['Qwen/Qwen3-30B-A3B', '--tp_size', '4', '--pp_size', '2'], A100).crash!.rootCause, /Only 4 GPUs are available, but the requested world size is 8/);
  // The reference's SGLang PP run: --pp-size 8 on four GPUs fails on the ranks past the last GPU, whatever the model.
  for (const model of ['zai-org/GLM-4.5-Air', 'Qwen/Qwen3-30B-A3B']) {
    assert.match(planLaunch('sglang', ['--model', model, '--pp-size', '8'], A100).crash!.rootCause, /RuntimeError: CUDA error: invalid device ordinal/);
  }
  // PP that fits the host: GLM-4.5's SGLang model has no PP, Qwen3-MoE's has.
  assert.match(planLaunch('sglang', ['--model', 'zai-org/GLM-4.5-Air', '--pp-size', '4'], A100).crash!.rootCause, /Pipeline Parallel is not compatible/);
  assert.equal(planLaunch('sglang', ['--model', 'Qwen/Qwen3-30B-A3B', '--pp-size', '4'], A100).crash, undefined);
});
