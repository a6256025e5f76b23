import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchmarkResult } from '../../../src/core/plan/schema';
import { formatResultBlock } from '../../../src/core/bench/format';
import { BenchmarkParseError, parseBenchmarkOutput, toBenchmarkResult } from '../../../src/core/bench/parse';

const FIXTURES = 'test/fixtures/bench';
const REFERENCE = join(FIXTURES, 'reference');
const read = (path: string) => readFileSync(path, 'utf8');

/** Every `LABEL: VALUE` line of every reference block, straight from the text, without the parser. */
function printedLines(text: string): Array<[string, string]> {
  return text
    .split('\n')
    .map((l) => /^(\S.*?:)\s+(\S+)$/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1]!, m[2]!]);
}

test('all 14 result blocks of the reference parse, and print back character for character (trailing spaces aside)', () => {
  let blocks = 0;
  for (const name of readdirSync(REFERENCE).sort()) {
    const text = read(join(REFERENCE, name));
    const parsed = parseBenchmarkOutput(text, name);
    assert.equal(parsed.length, (text.match(/Serving Benchmark Result/g) ?? []).length, name);
    for (const p of parsed) {
      blocks += 1;
      assert.equal(p.source.kind, 'vllm-text', name);
      assert.equal(p.blockStyle, 'v0.11', `${name}: no "Failed requests:" line and "Total Token throughput" → vLLM 0.11 labels`);
      assert.deepEqual(p.percentileMetrics, ['ttft', 'tpot', 'itl']);
      assert.deepEqual(p.percentiles, [99]);
      const printed = formatResultBlock(p.metrics, {
        percentileMetrics: p.percentileMetrics,
        percentiles: p.percentiles,
        goodput: p.goodput,
        style: p.blockStyle!,
      });
      assert.deepEqual(
        printed.split('\n').map((l) => l.trimEnd()),
        p.rawOutput.split('\n'),
        `${name}: printing the parsed metrics gives back the block`,
      );
      assert.ok(BenchmarkResult.safeParse(toBenchmarkResult(p)).success, `${name}: a valid BenchmarkResult`);
    }
  }
  assert.equal(blocks, 14);
});

test('every printed value of the reference blocks lands under its vLLM key with exactly the printed number', () => {
  const keyOf: Record<string, string> = {
    'Successful requests:': 'completed',
    'Benchmark duration (s):': 'duration',
    'Total input tokens:': 'total_input_tokens',
    'Total generated tokens:': 'total_output_tokens',
    'Request throughput (req/s):': 'request_throughput',
    'Output token throughput (tok/s):': 'output_throughput',
    'Peak output token throughput (tok/s):': 'max_output_tokens_per_s',
    'Peak concurrent requests:': 'max_concurrent_requests',
    'Total Token throughput (tok/s):': 'total_token_throughput',
  };
  const statKey = (label: string) => {
    const m = /^(Mean|Median|P99) (TTFT|TPOT|ITL) \(ms\):$/.exec(label);
    return m ? `${m[1]!.toLowerCase()}_${m[2]!.toLowerCase()}_ms` : undefined;
  };
  let checked = 0;
  for (const name of readdirSync(REFERENCE).sort()) {
    const text = read(join(REFERENCE, name));
    const blockTexts = text.split(/(?=^=+ Serving Benchmark Result =+$)/m).filter((t) => t.includes('Serving Benchmark Result'));
    const parsed = parseBenchmarkOutput(text, name);
    blockTexts.forEach((blockText, i) => {
      for (const [label, value] of printedLines(blockText)) {
        const key = keyOf[label] ?? statKey(label);
        assert.ok(key, `${name}: unexpected label ${label}`);
        assert.equal(parsed[i]!.metrics[key!], Number(value), `${name} block ${i + 1}: ${label}`);
        checked += 1;
      }
    });
  }
  assert.equal(checked, 14 * 18);
});

test('the reference vLLM ShareGPT baseline, field by field', () => {
  const [p] = parseBenchmarkOutput(read(join(REFERENCE, '01-vllm-sharegpt.txt')));
  assert.deepEqual(p!.metrics, {
    duration: 106.15,
    completed: 1000,
    failed: 0,
    total_input_tokens: 214465,
    total_output_tokens: 199904,
    request_throughput: 9.42,
    request_goodput: null,
    output_throughput: 1883.14,
    total_token_throughput: 3903.44,
    max_output_tokens_per_s: 3380,
    max_concurrent_requests: 1000,
    mean_ttft_ms: 38971.22,
    median_ttft_ms: 37502.2,
    p99_ttft_ms: 76635.16,
    mean_tpot_ms: 104.59,
    median_tpot_ms: 101.18,
    p99_tpot_ms: 210.38,
    mean_itl_ms: 91.67,
    median_itl_ms: 87.56,
    p99_itl_ms: 178.94,
  });
  assert.match(p!.notes.join('\n'), /no "Failed requests:" line/);
});

test('a listing of several blocks keeps each block apart with its "# …" title', () => {
  const parsed = parseBenchmarkOutput(read(join(REFERENCE, '08-optimized-random-listing.txt')));
  assert.deepEqual(parsed.map((p) => p.title), ['random 32K input', 'random 4K input', 'random 2K input', 'random 128 input']);
  assert.deepEqual(parsed.map((p) => p.metrics.total_token_throughput), [7945.66, 9100.71, 10956.49, 13012.2]);
  assert.equal(parsed[3]!.metrics['mean_tpot_ms'], 1246.57);
});

test('a "# …" comment in an earlier code fence does not label the next block; the heading before it does', () => {
  const block = read(join(REFERENCE, '03-sglang-tp4-ep4-sharegpt.txt')).trimEnd().split('\n').map((l) => `    ${l}`).join('\n');
  const doc = [
    '### 3. Parallelism in SGLang',
    '',
    '??? info "Benchmark result"',
    '    ```',
    '    # Crash. PP not supported for this setup.',
    '    ```',
    '',
    'TP4+EP4',
    '??? info "Benchmark result"',
    '    ```',
    block,
    '    ```',
  ].join('\n');
  assert.deepEqual(parseBenchmarkOutput(doc).map((p) => p.title), ['3. Parallelism in SGLang']);
});

test('current vLLM text: Failed line, lowercase label, unpadded lines before the block, errors, e2el and P99.9', () => {
  const text = read(join(FIXTURES, 'vllm-current.txt'));
  const [p] = parseBenchmarkOutput(text, 'vllm-current.txt');
  assert.equal(p!.source.kind, 'vllm-text');
  assert.equal(p!.blockStyle, 'current');
  assert.equal(p!.metrics.failed, 3);
  assert.equal(p!.metrics.completed, 97);
  assert.equal(p!.metrics.request_goodput, 3.12);
  assert.equal(p!.setup.maxConcurrency, 64, 'the block line wins over the unpadded "Maximum request concurrency: None" before it');
  assert.equal(p!.setup.requestRate, 10);
  assert.equal(p!.setup.burstiness, 1);
  assert.deepEqual(p!.percentileMetrics, ['ttft', 'tpot', 'itl', 'e2el']);
  assert.deepEqual(p!.percentiles, [50, 99.9]);
  assert.equal(p!.metrics['p99.9_e2el_ms'], 2210.5);
  assert.equal(p!.errors.length, 2);
  assert.match(p!.errors[0]!, /Bad Request/);
  const again = formatResultBlock(p!.metrics, {
    percentileMetrics: p!.percentileMetrics,
    percentiles: p!.percentiles,
    goodput: true,
    maxConcurrency: 64,
    requestRate: 10,
    style: 'current',
  });
  assert.equal(again, text.slice(text.indexOf('============ Serving')), 'byte-exact, trailing spaces included');
});

test('SGLang text block: its labels, P90/P95/P99, Max ITL and E2E Latency', () => {
  const [p] = parseBenchmarkOutput(read(join(FIXTURES, 'sglang.txt')), 'sglang.txt');
  assert.equal(p!.source.kind, 'sglang-text');
  assert.equal(p!.setup.backend, 'sglang-oai-chat');
  assert.equal(p!.setup.requestRate, 'inf');
  assert.equal(p!.setup.maxConcurrency, null);
  assert.equal(p!.metrics.completed, 1000);
  assert.equal(p!.metrics['input_throughput'], 3189.45);
  assert.equal(p!.metrics['total_output_tokens_retokenized'], 198721);
  assert.equal(p!.metrics['mean_e2el_ms'], 30120.44);
  assert.equal(p!.metrics['p95_ttft_ms'], 19011.1);
  assert.equal(p!.metrics['max_itl_ms'], 2011.56);
  assert.equal(p!.metrics.max_concurrent_requests, 1000);
  assert.deepEqual(p!.percentiles, [90, 95, 99]);
  assert.match(p!.notes.join('\n'), /SGLang's block does not report failed requests/);
});

test('vLLM --save-result JSON and SGLang JSONL normalize to the same keys', () => {
  const [v] = parseBenchmarkOutput(read(join(FIXTURES, 'vllm-save-result.json')), 'vllm-save-result.json');
  assert.equal(v!.source.kind, 'vllm-json');
  assert.equal(v!.setup.requestRate, 'inf');
  assert.equal(v!.metrics.total_token_throughput, 3903.4412);
  assert.equal(v!.metrics['std_itl_ms'], 40.1);
  assert.equal('ttfts' in v!.metrics, false, 'per-request arrays stay out of the metrics');
  assert.match(v!.rawOutput, /^============ Serving Benchmark Result/);
  const lines = parseBenchmarkOutput(read(join(FIXTURES, 'sglang.jsonl')), 'sglang.jsonl');
  assert.equal(lines.length, 2);
  assert.equal(lines[0]!.source.kind, 'sglang-jsonl');
  assert.equal(lines[0]!.metrics.total_token_throughput, 6160.72);
  assert.equal(lines[0]!.metrics['p99_e2el_ms'], 60001.5);
  assert.equal(lines[1]!.metrics.completed, 500);
});

test('text that is not a result is rejected with a message naming what was expected', () => {
  assert.throws(() => parseBenchmarkOutput('hello\nworld\n', 'notes.txt'), (err: Error) => {
    assert.ok(err instanceof BenchmarkParseError);
    assert.match(err.message, /^notes\.txt: no benchmark result found; expected the "=+ Serving Benchmark Result =+" block/);
    return true;
  });
  assert.throws(() => parseBenchmarkOutput('{"model": "x"}', 'other.json'), /other\.json: a JSON object without "completed"/);
  assert.throws(() => parseBenchmarkOutput('{"a":1}\n{oops\n', 'bad.jsonl'), /bad\.jsonl:2: not valid JSON/);
  const truncated = read(join(REFERENCE, '01-vllm-sharegpt.txt')).split('\n').slice(0, 8).join('\n');
  assert.throws(() => parseBenchmarkOutput(truncated, 'cut.txt'), /cut\.txt:1: .*not closed.*cut short/);
  assert.throws(() => parseBenchmarkOutput('============ Serving Benchmark Result ============\nFoo: 1\n==================================================\n'), /no "Successful requests:" line/);
  assert.throws(() => parseBenchmarkOutput('   \n'), /the input is empty/);
});

test('an older vLLM block without the Peak lines, with a Speculative Decoding section', () => {
  const [p] = parseBenchmarkOutput(read(join(FIXTURES, 'vllm-2024-specdecode.txt')));
  assert.equal(p!.source.kind, 'vllm-text');
  assert.equal(p!.metrics.completed, 200);
  assert.equal(p!.metrics.total_token_throughput, 2024.69);
  assert.equal(p!.metrics.max_output_tokens_per_s, undefined);
  assert.equal(p!.metrics['spec_decode_acceptance_rate'], 61.5);
  assert.equal(p!.metrics['spec_decode_acceptance_length'], 2.85);
  assert.equal(p!.metrics['spec_decode_accepted_tokens'], 2214);
  assert.equal(p!.metrics['spec_decode_position_1_acceptance_rate'], 60.2);
  assert.deepEqual(p!.notes.filter((n) => n.startsWith('ignored')), [], 'every line understood');
});

// Before the fix `Label:x<300,000 spaces>y` took ~59 s of CPU (quadratic); the timeout makes that a failure.
test('ReDoS: a 300,000-space label line and a 300,000-dash header parse at once', { timeout: 10_000 }, () => {
  const block = (inner: string) =>
    `============ Serving Benchmark Result ============\n${inner}\nSuccessful requests: 1\nBenchmark duration (s): 1\nTotal input tokens: 1\nTotal generated tokens: 1\nRequest throughput (req/s): 1\nOutput token throughput (tok/s): 1\nTotal token throughput (tok/s): 2\n==================================================\n`;
  const hostile = [`Label:x${' '.repeat(300_000)}y`, `Label:x${' '.repeat(3000)}y`, `---${'-'.repeat(300_000)}x`];
  assert.equal(parseBenchmarkOutput(`${hostile[0]}\n${block(hostile[0]!)}`, 'x.txt')[0]!.metrics.completed, 1);
  assert.equal(parseBenchmarkOutput(block(hostile[1]!), 'x.txt')[0]!.notes.some((n) => n.includes('"Label:x')), true, 'a short unknown line is noted');
  const [p] = parseBenchmarkOutput(block(hostile[2]!), 'x.txt');
  assert.match(p!.notes.join('\n'), /ignored a line of 300004 characters/);
  assert.equal(p!.metrics.completed, 1);
});

test('GPUStack rendered blocks: N/A fields are null (never 0), the Latency(s) section is E2EL in ms, the load is kept', () => {
  const [p] = parseBenchmarkOutput(read(join(FIXTURES, 'imports/gpustack-na.md')), 'gpustack-na.md');
  assert.equal(p!.source.kind, 'gpustack-text');
  assert.equal(p!.metrics.max_output_tokens_per_s, null);
  assert.equal(p!.metrics['p95_ttft_ms'], null);
  assert.equal(p!.metrics['p95_e2el_ms'], null);
  assert.equal(p!.metrics['mean_e2el_ms'], 12500);
  assert.equal(p!.metrics['p99_e2el_ms'], 30125);
  assert.equal(p!.metrics['median_ttft_ms'], 450.5);
  assert.equal(p!.setup.maxConcurrency, 256);
  assert.match(p!.notes.join('\n'), /N\/A, stored as null\): Peak output token throughput \(tok\/s\):, P95 Latency\(s\):, P95 TTFT \(ms\):, P95 TPOT \(ms\):/);
  const stored = toBenchmarkResult(p!);
  assert.ok(BenchmarkResult.safeParse(stored).success);
  assert.equal(stored.metrics['max_concurrency'], 256, 'stored as the result load');
  const again = formatResultBlock(p!.metrics, { percentileMetrics: ['ttft'], percentiles: [95] });
  assert.match(again, /P95 TTFT \(ms\):\s+n\/a/);
  assert.match(again, /Peak output token throughput \(tok\/s\):\s+n\/a/);
});

test('a non-numeric, negative or infinite metric is refused naming the line; a missing output count is derived, never 0', () => {
  const block = (lines: string) => `============ Serving Benchmark Result ============\nSuccessful requests: 10\nBenchmark duration (s): 2.00\nTotal input tokens: 100\nRequest throughput (req/s): 5.00\n${lines}\n==================================================\n`;
  assert.throws(() => parseBenchmarkOutput(block('Output token throughput (tok/s): 50\nMean TTFT (ms): fast'), 'a.txt'), /a\.txt:1: "Mean TTFT \(ms\):" has the value "fast", expected a number or N\/A/);
  assert.throws(() => parseBenchmarkOutput(block('Output token throughput (tok/s): -5'), 'b.txt'), /b\.txt:1: "Output token throughput \(tok\/s\):" is -5; a benchmark metric is a finite number ≥ 0/);
  assert.throws(() => parseBenchmarkOutput(block('Output token throughput (tok/s): inf'), 'c.txt'), /finite number ≥ 0/);
  assert.throws(() => parseBenchmarkOutput(block('Mean TTFT (ms): 3'), 'd.txt'), /total_output_tokens, output_throughput, total_token_throughput are missing or N\/A and cannot be derived.*refusing to store them as 0/);
  const [p] = parseBenchmarkOutput(block('Output token throughput (tok/s): 25.00'), 'e.txt');
  assert.equal(p!.metrics.total_output_tokens, 50, '25 tok/s × 2 s');
  assert.equal(p!.metrics.total_token_throughput, 75, '(100 + 50) / 2');
  assert.match(p!.notes.join('\n'), /derived as output_throughput × duration/);
  assert.throws(() => parseBenchmarkOutput(block('Successful requests: N/A'), 'f.txt'), /"Successful requests:" is N\/A/);
  assert.throws(() => parseBenchmarkOutput('{"completed": 3, "total_token_throughput": -1, "duration": 1, "total_input_tokens": 1, "request_throughput": 3}', 'g.json'), /g\.json: "total_token_throughput" is -1/);
});
