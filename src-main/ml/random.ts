/** Small deterministic generators: weight seeds, dropout seeds, test and bench data. */
import { mulberry32 } from '../../src-shared/domain/random'

export { mulberry32 }

/** FNV-1a of a string: stable per-name seeds, independent of creation order. */
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
