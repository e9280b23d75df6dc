import type { Rng } from '../ml/random'
import type { InteractionType } from './types'

/**
 * A pair's true mean effect from its singles' effects, on the log-normalised scale where the GI
 * scores of docs/ml-engine.md §9 are computed (a, b, ab = mean change over control):
 *
 *   additive     ab = a + b                       (c1 = c2 = 1)
 *   synergy      ab = c·(a + b),  c ∈ [1.6, 2.2]  (Theil–Sen mag = c·√2 > 2.2)
 *   suppression  ab = c·(a + b),  c ∈ [0.3, 0.55] (mag < 0.8)
 *   epistasis    ab = c_d·a_d + c_o·a_o, c_d ∈ [0.9, 1.1], c_o ∈ [0, 0.15]: one single dominates
 *   neomorphic   ab = a + b + n,  n ⟂ a, b on expressed genes, ‖n‖ = r·‖a + b‖, r ∈ [0.6, 0.9]
 *   redundant    ab = (a + b)/2 for paralogs (a ≈ b by construction): the double looks like either single
 *
 * The two perturbed genes themselves are exempt: each keeps its own CRISPR shift plus the other's
 * network effect on it (ab_g = a_g + b_g), as the guides act on both targets whatever the type.
 */

export interface PairRule {
  type: InteractionType
  c1: number
  c2: number
  /** neomorphic: ‖novel‖ / ‖a + b‖ on expressed genes */
  novelRatio?: number
}

export function drawPairRule(type: InteractionType, rng: Rng): PairRule {
  switch (type) {
    case 'additive':
      return { type, c1: 1, c2: 1 }
    case 'synergy': {
      const c = rng.range(1.6, 2.2)
      return { type, c1: c, c2: c }
    }
    case 'suppression': {
      const c = rng.range(0.3, 0.55)
      return { type, c1: c, c2: c }
    }
    case 'epistasis': {
      const dominant = rng.range(0.9, 1.1)
      const other = rng.range(0, 0.15)
      return rng.bernoulli(0.5) ? { type, c1: dominant, c2: other } : { type, c1: other, c2: dominant }
    }
    case 'neomorphic':
      return { type, c1: 1, c2: 1, novelRatio: rng.range(1, 1.5) }
    case 'redundant':
      return { type, c1: 0.5, c2: 0.5 }
  }
}

/**
 * ab from a and b. `self` are the two perturbed genes' indices; `novel` (neomorphic only) must
 * already be orthogonalised and scaled by `novelComponent`.
 */
export function applyPairRule(rule: PairRule, a: ArrayLike<number>, b: ArrayLike<number>, self: [number, number], novel?: Float64Array): Float64Array {
  const n = a.length
  const ab = new Float64Array(n)
  for (let g = 0; g < n; g++) ab[g] = rule.c1 * a[g] + rule.c2 * b[g] + (novel ? novel[g] : 0)
  for (const g of self) ab[g] = a[g] + b[g]
  return ab
}

/**
 * The neomorphic pair's new component from a raw program `profile`: made orthogonal to a and b
 * over the genes in `mask` (Gram–Schmidt), zero on the perturbed genes, and scaled so that its
 * norm over `mask` is `ratio` times that of a + b. Null when the program misses the masked genes.
 */
export function novelComponent(profile: Float64Array, a: ArrayLike<number>, b: ArrayLike<number>, mask: Uint8Array, self: [number, number], ratio: number): Float64Array | null {
  const n = profile.length
  const inMask = (g: number) => mask[g] === 1 && g !== self[0] && g !== self[1]
  const dot = (x: ArrayLike<number>, y: ArrayLike<number>) => {
    let s = 0
    for (let g = 0; g < n; g++) if (inMask(g)) s += x[g] * y[g]
    return s
  }
  // orthonormal basis of span(a, b) on the mask
  const basis: Float64Array[] = []
  for (const v of [a, b]) {
    const u = Float64Array.from(v as ArrayLike<number>)
    for (const e of basis) {
      const p = dot(u, e)
      for (let g = 0; g < n; g++) u[g] -= p * e[g]
    }
    const norm = Math.sqrt(dot(u, u))
    if (norm > 1e-9) basis.push(u.map((x) => x / norm))
  }
  const out = Float64Array.from(profile)
  for (const e of basis) {
    const p = dot(out, e)
    for (let g = 0; g < n; g++) out[g] -= p * e[g]
  }
  out[self[0]] = 0
  out[self[1]] = 0
  const norm = Math.sqrt(dot(out, out))
  const sum = new Float64Array(n)
  for (let g = 0; g < n; g++) sum[g] = a[g] + b[g]
  const target = ratio * Math.sqrt(dot(sum, sum))
  if (norm < 1e-6 || target === 0) return null
  for (let g = 0; g < n; g++) out[g] *= target / norm
  return out
}
