// `shareGpus: true` in a plan: a host with more GPUs than a variant needs runs several variants side by side, each
// engine on its own GPUs (CUDA_VISIBLE_DEVICES), instead of one engine per host. Engines beside each other share
// PCIe/NVLink, CPU and host memory, so a result measured while another engine ran on the host says so.
import type { EngineVariant } from '../plan/schema';
import { variantGpus } from './curve';

export interface GpuGrant {
  /** GPU indices the engine runs on. */
  gpus: number[];
  /** Environment that confines the engine to them (empty when it takes the whole host). */
  env: Record<string, string>;
}

export class GpuShare {
  private readonly free: Set<number>;
  private readonly waiting: Array<() => void> = [];
  /** Engines holding GPUs, by grant; each with "another engine held GPUs of this host while it was measured". */
  private readonly holders = new Map<GpuGrant, { measuring: boolean; shared: boolean }>();

  constructor(readonly total: number) {
    this.free = new Set(Array.from({ length: total }, (_, i) => i));
  }

  /** GPUs a variant needs here: its TP × PP × DP, or the whole host when it names its own devices or wants more. */
  need(variant: EngineVariant): number {
    if (variant.env['CUDA_VISIBLE_DEVICES'] !== undefined) return this.total;
    return Math.min(variantGpus(variant.parallel), this.total);
  }

  fits(variant: EngineVariant): boolean {
    return this.free.size >= this.need(variant);
  }

  /**
   * Takes the lowest free GPUs the variant needs, waiting while too few are free. Synchronous when they are free, so
   * a caller that checked fits() gets them before anyone else can.
   */
  async take(variant: EngineVariant, signal: AbortSignal): Promise<GpuGrant> {
    const need = this.need(variant);
    while (this.free.size < need) {
      if (signal.aborted) throw signal.reason;
      await new Promise<void>((wake) => {
        this.waiting.push(wake);
        signal.addEventListener('abort', () => wake(), { once: true });
      });
    }
    const gpus = [...this.free].sort((a, b) => a - b).slice(0, need);
    for (const g of gpus) this.free.delete(g);
    const grant: GpuGrant = { gpus, env: need < this.total ? { CUDA_VISIBLE_DEVICES: gpus.join(',') } : {} };
    // Engines being measured now have a neighbour from here on.
    for (const h of this.holders.values()) if (h.measuring) h.shared = true;
    this.holders.set(grant, { measuring: false, shared: false });
    return grant;
  }

  give(grant: GpuGrant): void {
    if (!this.holders.delete(grant)) return;
    for (const g of grant.gpus) this.free.add(g);
    for (const wake of this.waiting.splice(0)) wake();
  }

  /** Marks the start of a measurement on a grant's engine; shared when another engine holds GPUs of the host now. */
  measuring(grant: GpuGrant): void {
    const holder = this.holders.get(grant);
    if (holder) Object.assign(holder, { measuring: true, shared: this.holders.size > 1 });
  }

  /** Ends a measurement: the note to keep with its result when another engine ran beside it, else undefined. */
  measured(grant: GpuGrant, hostName: string): string | undefined {
    const holder = this.holders.get(grant);
    if (!holder) return undefined;
    const shared = holder.shared;
    Object.assign(holder, { measuring: false, shared: false });
    return shared ? `measured on shared hardware: ${hostName} ran another engine beside this one (shareGpus: true; this engine on GPUs ${grant.gpus.join(',')} of ${this.total}), so PCIe/NVLink, CPU and host memory were shared` : undefined;
  }
}
