/** Small deterministic generators: weight seeds, dropout seeds, test and bench data. */

/** mulberry32: a fast 32-bit generator returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

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
