// Seeded randomness for datasets and arrival times. Results are reproducible for a given seed within Serving Lab;
// they are not numpy's PCG64/MT19937 streams, so prompts and gaps differ from vLLM's for the same seed (the result
// provenance says so). For byte-identical prompts use a replay file materialized by vLLM itself.

/** sfc32 seeded through splitmix32: small, fast, good statistical quality. */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = Math.trunc(seed) >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    return ((this.nextUint32() >>> 5) * 67108864 + (this.nextUint32() >>> 6)) / 9007199254740992;
  }

  /** Uniform integer in [low, high] (inclusive). */
  int(low: number, high: number): number {
    return low + Math.floor(this.next() * (high - low + 1));
  }

  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Gamma(shape, scale) by Marsaglia–Tsang; shape < 1 through the usual U^(1/shape) boost. */
  gamma(shape: number, scale: number): number {
    if (shape < 1) return this.gamma(shape + 1, scale) * Math.pow(this.next() || Number.MIN_VALUE, 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.next();
      if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale;
    }
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}

/**
 * Send times in seconds from the benchmark start, as vLLM's `get_request` makes them: gamma gaps with
 * shape = burstiness and mean 1/rate (burstiness 1 = Poisson), summed, then rescaled so the last send is at N/rate.
 * An infinite rate sends everything at once.
 */
export function arrivalTimes(count: number, requestRate: number, burstiness: number, seed: number): number[] {
  if (!Number.isFinite(requestRate)) return new Array<number>(count).fill(0);
  const rng = new SeededRandom(seed ^ 0x5eed);
  const times: number[] = [];
  let t = 0;
  for (let i = 0; i < count; i++) {
    t += Number.isFinite(burstiness) ? rng.gamma(burstiness, 1 / (requestRate * burstiness)) : 1 / requestRate;
    times.push(t);
  }
  const last = times[times.length - 1];
  if (last !== undefined && last > 0) {
    const factor = count / requestRate / last;
    for (let i = 0; i < times.length; i++) times[i] = times[i]! * factor;
  }
  return times;
}
