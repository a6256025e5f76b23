// The quick-picks that Benchmark GLM config and Find Capacity under SLO share: host, engine variant (presets, the last
// used command, a pasted command or the clipboard's serving script — parsed and shown back before use) and workload.
// `step` prefixes each title ("Benchmark GLM config (2/3)"), so every command numbers its own steps.
import * as vscode from 'vscode';
import { speculativeLabel } from '../../core/engines/speculative';
import type { EngineVariant, WorkloadSpec } from '../../core/plan/schema';
import type { Lab } from '../lab';

/** The reference study's configurations, as serve commands (parsed and shown back before use). */
export const VARIANT_PRESETS: ReadonlyArray<{ label: string; detail: string; command: string }> = [
  { label: 'vLLM, TP4 (the study\'s baseline)', detail: '3903 tok/s total on ShareGPT in the study', command: 'vllm serve zai-org/GLM-4.5-Air -tp 4' },
  { label: 'SGLang, TP4', detail: 'the engine stage\'s winner', command: 'python3 -m sglang.launch_server --model-path zai-org/GLM-4.5-Air --tp-size 4' },
  { label: 'SGLang, TP4 + EP4 (the study\'s recommendation)', detail: 'expert parallelism on top of TP4', command: 'python3 -m sglang.launch_server --model-path zai-org/GLM-4.5-Air --tp-size 4 --ep-size 4' },
  { label: 'SGLang, TP4 + EP4, cuda-graph-max-bs 512', detail: 'the CUDA graph stage (within noise in the study)', command: 'python3 -m sglang.launch_server --model-path zai-org/GLM-4.5-Air --tp-size 4 --ep-size 4 --cuda-graph-max-bs 512' },
  { label: 'vLLM, FP8 weights, TP4', detail: 'crashes on A100: FP8 needs compute capability 8.9', command: 'vllm serve zai-org/GLM-4.5-Air-FP8 -tp 4' },
];

const WORKLOAD_LABELS: Record<string, string> = {
  sharegpt: 'ShareGPT, 1000 prompts',
  'very-long-prompt': 'Very long prompt: random 32000 in / 100 out, 100 prompts',
  'long-prompt': 'Long prompt: random 4000 in / 200 out, 500 prompts',
  'medium-prompt': 'Medium prompt: random 2000 in / 100 out, 500 prompts',
  'short-prompt': 'Short prompt: random 128 in / 4 out, 1000 prompts',
};

export const LAST_COMMAND_KEY = 'servingLab.lastServeCommand';

/** The command once the user has seen what it parses to, or undefined when they cancel. */
async function confirmVariant(command: string, variant: EngineVariant, title: string): Promise<string | undefined> {
  const confirm = await vscode.window.showQuickPick(
    [
      { label: '$(check) Use this variant', description: describeVariant(variant), ok: true },
      { label: '$(close) Cancel', ok: false },
    ],
    { title: `${title}: ${describeVariant(variant)}`, placeHolder: command.trim().split('\n')[0], ignoreFocusOut: true },
  );
  return confirm?.ok ? command : undefined;
}

export function describeVariant(v: EngineVariant): string {
  const p = v.parallel;
  const parallel = [`TP${p.tp}`, p.pp > 1 ? `PP${p.pp}` : '', p.ep > 1 ? `EP${p.ep}` : '', p.dp > 1 ? `DP${p.dp}` : ''].filter(Boolean).join(' + ');
  const extras = [v.quantization && `quantization ${v.quantization}`, v.attentionBackend && `attention ${v.attentionBackend}`, v.cudaGraph.maxBatchSize && `cuda-graph-max-bs ${v.cudaGraph.maxBatchSize}`, v.kvCacheDtype && `kv-cache ${v.kvCacheDtype}`, v.speculative && `speculative ${speculativeLabel(v.speculative)}`]
    .filter(Boolean)
    .join(', ');
  const engine = { vllm: 'vLLM', sglang: 'SGLang', trtllm: 'TensorRT-LLM' }[v.engine];
  return `${engine} ${v.model}, ${parallel}${extras ? `, ${extras}` : ''}`;
}

/** A workload as the user typed it: a preset id, `random:IN:OUT:N` or `sharegpt:N`. */
export async function workloadFromText(text: string): Promise<WorkloadSpec> {
  const { WORKLOAD_PRESETS } = await import('../../core/plan/presets');
  if (text in WORKLOAD_PRESETS) return text;
  const { parseWorkloadSpec } = await import('../../core/sim/predict');
  const w = parseWorkloadSpec(text);
  return w.kind === 'sharegpt' ? { preset: 'sharegpt', numPrompts: w.count } : { dataset: { kind: 'random', inputLen: w.input, outputLen: w.output }, numPrompts: w.count, seed: 42 };
}

/** The host to launch on: the simulated host, settings entries, the hosts file, ssh config aliases. */
export async function pickHost(lab: Lab, step: string): Promise<string | undefined> {
  const hosts = lab.hosts();
  const picked = await vscode.window.showQuickPick(
    hosts.map((h) => ({
      label: h.name,
      description: h.spec.transport.kind === 'sim' ? `simulated ${h.spec.transport.count}×${h.spec.transport.gpu}` : h.source,
      detail: h.origin,
    })),
    { title: `${step}: host`, placeHolder: 'Where to launch the engine', ignoreFocusOut: true },
  );
  return picked?.label;
}

/** Presets, the last used command, or a pasted one — parsed and shown back before it is used. */
export async function pickVariant(lab: Lab, step: string): Promise<string | undefined> {
  const { parseServeCommand } = await import('../../core/engines/index');
  const last = lab.context.globalState.get<string>(LAST_COMMAND_KEY);
  type Item = vscode.QuickPickItem & { command?: string; paste?: boolean; fromClipboard?: boolean };
  const items: Item[] = [];
  if (last) items.push({ label: '$(history) Last used', description: last, command: last });
  items.push({ label: 'Presets from the GLM-4.5-Air study', kind: vscode.QuickPickItemKind.Separator });
  items.push(...VARIANT_PRESETS.map((p) => ({ label: p.label, description: p.command, detail: p.detail, command: p.command })));
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
  // A serving script of several lines cannot go through the one-line input box, so it comes from the clipboard —
  // read only when the user asks: a browser-hosted VS Code asks for permission and may refuse.
  items.push({ label: '$(clippy) Serving script on the clipboard', detail: 'Copy a script of several lines (comments, export lines, backslash continuations) first', fromClipboard: true });
  items.push({ label: '$(edit) Paste a serve command…', detail: 'vllm serve …, python3 -m sglang.launch_server …, trtllm-serve …, or docker run … IMAGE …', paste: true });
  const picked = await vscode.window.showQuickPick(items, { title: `${step}: engine variant`, matchOnDescription: true, ignoreFocusOut: true });
  if (!picked) return undefined;
  if (picked.fromClipboard) return scriptFromClipboard(parseServeCommand);
  if (!picked.paste) return picked.command;
  const pasted = await vscode.window.showInputBox({
    title: `${step}: paste a serve command`,
    placeHolder: 'vllm serve zai-org/GLM-4.5-Air -tp 4 (for a script of several lines, copy it and pick "Serving script on the clipboard")',
    ignoreFocusOut: true,
    validateInput: (text) => {
      if (!text.trim()) return undefined;
      try {
        parseServeCommand(text);
        return undefined;
      } catch (err) {
        return (err as Error).message;
      }
    },
  });
  if (!pasted?.trim()) return undefined;
  return confirmVariant(pasted, parseServeCommand(pasted), 'Parsed');
}

/** The clipboard's serving script once the user has seen what it parses to, or undefined (with the reason shown). */
async function scriptFromClipboard(parseServeCommand: (text: string) => EngineVariant): Promise<string | undefined> {
  let text: string;
  try {
    text = await vscode.env.clipboard.readText();
  } catch (err) {
    void vscode.window.showErrorMessage(`Serving Lab: could not read the clipboard (${(err as Error).message}). Allow clipboard access for this window, or pick "Paste a serve command…" and paste one line.`);
    return undefined;
  }
  let variant: EngineVariant;
  try {
    variant = parseServeCommand(text);
  } catch (err) {
    void vscode.window.showErrorMessage(`Serving Lab: the clipboard does not hold a serving script: ${(err as Error).message}`);
    return undefined;
  }
  return confirmVariant(text, variant, 'Parsed from the clipboard');
}

export async function pickWorkload(lab: Lab, step: string): Promise<WorkloadSpec | undefined> {
  const preferred = lab.settings().defaultWorkloads;
  const ids = [...preferred.filter((id) => id in WORKLOAD_LABELS), ...Object.keys(WORKLOAD_LABELS).filter((id) => !preferred.includes(id))];
  const picked = await vscode.window.showQuickPick(
    [...ids.map((id) => ({ label: id, description: WORKLOAD_LABELS[id], custom: false })), { label: 'Custom…', description: 'random:IN:OUT:N or sharegpt:N', custom: true }],
    { title: `${step}: workload`, ignoreFocusOut: true },
  );
  if (!picked) return undefined;
  if (!picked.custom) return picked.label;
  const { parseWorkloadSpec } = await import('../../core/sim/predict');
  const text = await vscode.window.showInputBox({
    title: `${step}: custom workload`,
    placeHolder: 'random:2000:100:200',
    ignoreFocusOut: true,
    validateInput: (value) => {
      try {
        parseWorkloadSpec(value.trim());
        return undefined;
      } catch (err) {
        return (err as Error).message;
      }
    },
  });
  return text ? workloadFromText(text.trim()) : undefined;
}
