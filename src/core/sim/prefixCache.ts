// The engines' prefix cache as the scheduler sees it: KV blocks keyed by everything before them (vLLM's block hash
// chain, SGLang's radix tree), kept after their request finishes until the space is needed (least recently used
// first). A hit saves the prefill of whole blocks.

export class PrefixCache {
  /** Insertion order is recency order: a hit moves the key to the end. */
  private readonly blocks = new Set<string>();
  private readonly maxBlocks: number;

  constructor(
    readonly blockSize: number,
    capacityTokens: number,
  ) {
    this.maxBlocks = Math.max(0, Math.floor(capacityTokens / blockSize));
  }

  /** Tokens of the longest cached prefix of `keys`. */
  lookup(keys: readonly string[]): number {
    let hits = 0;
    for (const key of keys) {
      if (!this.blocks.has(key)) break;
      this.blocks.delete(key);
      this.blocks.add(key);
      hits += 1;
    }
    return hits * this.blockSize;
  }

  /** Tokens of the longest cached prefix, without counting as a use. */
  peek(keys: readonly string[]): number {
    let hits = 0;
    while (hits < keys.length && this.blocks.has(keys[hits]!)) hits += 1;
    return hits * this.blockSize;
  }

  /** Records a computed prompt's blocks, evicting the least recently used beyond capacity. */
  insert(keys: readonly string[]): void {
    for (const key of keys) {
      this.blocks.delete(key);
      this.blocks.add(key);
    }
    for (const key of this.blocks) {
      if (this.blocks.size <= this.maxBlocks) break;
      this.blocks.delete(key);
    }
  }
}

/**
 * Block keys of a prompt given as token ids: each key stands for the whole prefix up to the end of its block, as
 * vLLM's chained block hashes do, so equal keys mean equal prefixes.
 */
export function tokenBlockKeys(tokens: readonly number[], blockSize: number): string[] {
  const keys: string[] = [];
  let h = 0x811c9dc5;
  for (let i = 0; i + blockSize <= tokens.length; i += blockSize) {
    for (let j = i; j < i + blockSize; j++) h = Math.imul(h ^ tokens[j]!, 0x01000193) >>> 0;
    keys.push(`${i / blockSize}:${h.toString(36)}`);
  }
  return keys;
}

/** Block keys of a synthetic prompt of `length` tokens whose first `shared` tokens are common to every prompt. */
export function syntheticBlockKeys(requestId: number, length: number, shared: number, blockSize: number): string[] {
  const keys: string[] = [];
  for (let b = 0; (b + 1) * blockSize <= length; b++) keys.push((b + 1) * blockSize <= shared ? `shared:${b}` : `r${requestId}:${b}`);
  return keys;
}
