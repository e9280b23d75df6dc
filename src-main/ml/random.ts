/**
 * Seeded randomness: same seed, same stream, on every machine; Math.random is never used. Two
 * generators, because stored results depend on their exact streams:
 *  - mulberry32: weight and dropout seeds, splits, test and bench data;
 *  - `Rng`, xoshiro128** (32-bit state words, so it is exact in JavaScript numbers), with the
 *    samplers the synthetic screens' generative model needs (synthetic/).
 * Both name their streams with the one FNV-1a hash, `hashSeed`.
 */
import { mulberry32 } from '../../src-shared/domain/random'

export { mulberry32 }

/** FNV-1a of a string: stable per-name seeds and stream labels, independent of creation order. */
export function hashSeed(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** Standard normal values (Box–Muller) from a uniform generator. */
export function randomNormalArray(n: number, rand: () => number, std = 1): Float32Array {
  const out = new Float32Array(n)
  for (let i = 0; i < n; i += 2) {
    const u = 1 - rand()
    const v = rand()
    const r = Math.sqrt(-2 * Math.log(u)) * std
    out[i] = r * Math.cos(2 * Math.PI * v)
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v)
  }
  return out
}

/**
 * Inverted-dropout factors: 0 with probability `rate`, else 1 / (1 − rate). mulberry32 inlined
 * (a closure call per value made dropout ~10 % of an encoder step at 4 M values).
 */
export function dropoutFactors(n: number, rate: number, seed: number): Float32Array {
  const out = new Float32Array(n)
  const keep = 1 / (1 - rate)
  const threshold = Math.floor(rate * 4294967296)
  let a = seed >>> 0
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    out[i] = (t ^ (t >>> 14)) >>> 0 < threshold ? 0 : keep
  }
  return out
}

// xoshiro128** and its samplers, for the synthetic screens.

const TWO_POW_32 = 4294967296
const TWO_POW_53 = 9007199254740992
const TWO_POW_26 = 67108864

/** murmur3's 32-bit finaliser: a bijection that spreads every input bit over the output. */
export function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b)
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return (x ^ (x >>> 16)) >>> 0
}

/** A deterministic 32-bit hash of several integers (order matters). */
export function hashInts(...values: number[]): number {
  let h = 0x9e3779b9
  for (const v of values) h = mix32((h ^ mix32(v >>> 0)) + 0x7f4a7c15)
  return h
}

// log(k!) for small k, exactly summed; Stirling's series beyond.
const LOG_FACTORIAL_TABLE = (() => {
  const t = new Float64Array(256)
  for (let k = 2; k < 256; k++) t[k] = t[k - 1] + Math.log(k)
  return t
})()

export function logFactorial(k: number): number {
  if (k < 256) return LOG_FACTORIAL_TABLE[k]
  const x = k + 1
  const x2 = x * x
  return (x - 0.5) * Math.log(x) - x + 0.9189385332046728 + 1 / (12 * x) - 1 / (360 * x * x2) + 1 / (1260 * x2 * x2 * x)
}

export class Rng {
  private a: number
  private b: number
  private c: number
  private d: number
  private spareNormal: number | undefined

  /** `seed` is any safe integer; `label` names the stream (e.g. 'network', 'cells:ctrl'). */
  constructor(seed: number, label = '') {
    const lo = seed >>> 0
    const hi = Math.floor(seed / TWO_POW_32) >>> 0
    const h = hashSeed(label)
    this.a = mix32(lo ^ 0x243f6a88) ^ mix32(h + 1)
    this.b = mix32(hi ^ 0x85a308d3) ^ mix32(h + 2)
    this.c = mix32(lo + 0x13198a2e) ^ mix32(h ^ 0x03707344)
    this.d = mix32(hi + 0xa4093822) ^ mix32(h + 3)
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1
    // warm up so that nearby seeds diverge at once
    for (let i = 0; i < 8; i++) this.nextUint32()
  }

  /** An independent stream for a sub-task, derived from this one's seed material and a label. */
  static derive(seed: number, ...parts: (string | number)[]): Rng {
    return new Rng(seed, parts.join(':'))
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0
    const t = this.b << 9
    this.c ^= this.a
    this.d ^= this.b
    this.b ^= this.c
    this.a ^= this.d
    this.c ^= t
    this.d = rotl(this.d, 11)
    return result
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5
    const lo = this.nextUint32() >>> 6
    return (hi * TWO_POW_26 + lo) / TWO_POW_53
  }

  /** Uniform in (0, 1) with 32 random bits: half the cost, for hot loops where that suffices. */
  uniform32(): number {
    return (this.nextUint32() + 0.5) / TWO_POW_32
  }

  /** Uniform in (0, 1): safe to take the log of. */
  uniformOpen(): number {
    let u = this.uniform()
    while (u === 0) u = this.uniform()
    return u
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n)
  }

  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform()
  }

  bernoulli(p: number): boolean {
    return this.uniform() < p
  }

  /** Standard normal (Marsaglia's polar method; the second value is kept for the next call). */
  normal(mean = 0, sd = 1): number {
    if (this.spareNormal !== undefined) {
      const z = this.spareNormal
      this.spareNormal = undefined
      return mean + sd * z
    }
    let u: number
    let v: number
    let s: number
    do {
      u = 2 * this.uniform() - 1
      v = 2 * this.uniform() - 1
      s = u * u + v * v
    } while (s >= 1 || s === 0)
    const f = Math.sqrt((-2 * Math.log(s)) / s)
    this.spareNormal = v * f
    return mean + sd * u * f
  }

  logNormal(logMean: number, logSd: number): number {
    return Math.exp(this.normal(logMean, logSd))
  }

  /** Gamma(shape, scale) by Marsaglia & Tsang (2000); shape < 1 through the U^(1/shape) boost. */
  gamma(shape: number, scale = 1): number {
    if (!(shape > 0) || !(scale > 0)) throw new RangeError(`gamma needs shape > 0 and scale > 0 (got ${shape}, ${scale})`)
    if (shape < 1) return this.gamma(shape + 1, scale) * Math.pow(this.uniformOpen(), 1 / shape)
    const d = shape - 1 / 3
    const c = 1 / Math.sqrt(9 * d)
    for (;;) {
      let x: number
      let v: number
      do {
        x = this.normal()
        v = 1 + c * x
      } while (v <= 0)
      v = v * v * v
      const u = this.uniformOpen()
      if (u < 1 - 0.0331 * x * x * x * x) return d * v * scale
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale
    }
  }

  /** Poisson(mean): multiplication for small means, Hörmann's PTRS (1993) for large ones. */
  poisson(mean: number): number {
    if (!(mean >= 0) || !Number.isFinite(mean)) throw new RangeError(`poisson needs a finite mean ≥ 0 (got ${mean})`)
    if (mean === 0) return 0
    if (mean < 10) {
      const limit = Math.exp(-mean)
      let k = 0
      let prod = this.uniform()
      while (prod > limit) {
        k++
        prod *= this.uniform()
      }
      return k
    }
    const slam = Math.sqrt(mean)
    const loglam = Math.log(mean)
    const b = 0.931 + 2.53 * slam
    const a = -0.059 + 0.02483 * b
    const invalpha = 1.1239 + 1.1328 / (b - 3.4)
    const vr = 0.9277 - 3.6224 / (b - 2)
    for (;;) {
      const u = this.uniform() - 0.5
      const v = this.uniformOpen()
      const us = 0.5 - Math.abs(u)
      const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43)
      if (us >= 0.07 && v <= vr) return k
      if (k < 0 || (us < 0.013 && v > us)) continue
      if (Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -mean + k * loglam - logFactorial(k)) return k
    }
  }

  /**
   * Negative binomial with mean `mean` and dispersion `phi` (variance mean + phi·mean²), as a
   * gamma–Poisson mixture. The reference sampler; bulk count matrices use `counts.ts`.
   */
  negativeBinomial(mean: number, phi: number): number {
    if (mean === 0) return 0
    if (phi <= 0) return this.poisson(mean)
    return this.poisson(this.gamma(1 / phi, mean * phi))
  }

  /** Logarithmic (log-series) distribution on 1, 2, … with parameter p ∈ (0, 1): Kemp's LK algorithm. */
  logarithmic(p: number): number {
    let r = NaN
    for (;;) {
      // 32-bit uniforms: this runs once per count cluster, and V is never 0
      const v = this.uniform32()
      if (v >= p) return 1
      // the log is only needed past the common case above
      if (r !== r) r = Math.log1p(-p)
      const q = -Math.expm1(r * this.uniform32())
      if (v <= q * q) {
        const k = Math.floor(1 + Math.log(v) / Math.log(q))
        if (k < 1 || v === 0) continue
        return k
      }
      return v >= q ? 1 : 2
    }
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const t = items[i]
      items[i] = items[j]
      items[j] = t
    }
    return items
  }

  /** `k` distinct items drawn without replacement, in draw order. */
  sample<T>(items: readonly T[], k: number): T[] {
    const copy = items.slice()
    const n = Math.min(k, copy.length)
    for (let i = 0; i < n; i++) {
      const j = i + this.int(copy.length - i)
      const t = copy[i]
      copy[i] = copy[j]
      copy[j] = t
    }
    return copy.slice(0, n)
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}

/**
 * Walker/Vose alias table: O(1) draws from a fixed discrete distribution. Used to spread a
 * cell's Poisson number of count clusters over genes in proportion to their rates.
 */
export class AliasTable {
  readonly prob: Float64Array
  readonly alias: Int32Array
  readonly total: number

  constructor(weights: ArrayLike<number>) {
    const n = weights.length
    this.prob = new Float64Array(n)
    this.alias = new Int32Array(n)
    let total = 0
    for (let i = 0; i < n; i++) total += weights[i]
    this.total = total
    if (n === 0 || !(total > 0)) return
    const scaled = new Float64Array(n)
    const small = new Int32Array(n)
    const large = new Int32Array(n)
    let ns = 0
    let nl = 0
    for (let i = 0; i < n; i++) {
      scaled[i] = (weights[i] * n) / total
      if (scaled[i] < 1) small[ns++] = i
      else large[nl++] = i
    }
    while (ns > 0 && nl > 0) {
      const s = small[--ns]
      const l = large[--nl]
      this.prob[s] = scaled[s]
      this.alias[s] = l
      scaled[l] = scaled[l] + scaled[s] - 1
      if (scaled[l] < 1) small[ns++] = l
      else large[nl++] = l
    }
    while (nl > 0) {
      const l = large[--nl]
      this.prob[l] = 1
      this.alias[l] = l
    }
    // leftovers from rounding
    while (ns > 0) {
      const s = small[--ns]
      this.prob[s] = 1
      this.alias[s] = s
    }
  }

  draw(rng: Rng): number {
    // 32 bits: ~20 bits are left for the within-slot comparison, plenty for weights' precision
    const x = rng.uniform32() * this.prob.length
    const i = Math.floor(x)
    return x - i < this.prob[i] ? i : this.alias[i]
  }
}
