import { goTopPartners } from '../services/knowledge/go-graph'
import type { Design } from './design'
import type { SyntheticParams } from './presets'
import { hashInts, Rng } from '../ml/random'
import type { SyntheticEdge } from './types'

/**
 * The gene regulatory network: directed, signed, weighted edges regulator → target among the
 * measured genes. Most edges join genes that share a Reactome pathway or are GO-similar (the
 * same top-k Jaccard partners the GO graph of docs/ml-engine.md §2 uses), the rest are a sparse random
 * background. Signs follow a per-(pathway, target) pattern, so perturbing any member of a
 * pathway moves that pathway's genes the same way — knowledge that transfers to unseen genes.
 */

export const ORIGINS = ['pathway', 'go', 'background', 'paralog', 'program'] as const
const PATHWAY = 0
const GO = 1
const BACKGROUND = 2
const PARALOG = 3
const PROGRAM = 4

export interface GeneNetwork {
  nGenes: number
  /** edges sorted by (source, target); `outPtr` indexes them by source (CSR) */
  source: Int32Array
  target: Int32Array
  weight: Float64Array
  origin: Uint8Array
  outPtr: Int32Array
}

export interface NetworkStats {
  edges: number
  byOrigin: Record<(typeof ORIGINS)[number], number>
}

/**
 * `paralogs` are [original, copy] gene indices; `exclude` genes (the perturbed ones) are never
 * chosen as master regulators.
 */
export async function buildNetwork(design: Design, params: SyntheticParams, seed: number, paralogs: [number, number][], exclude: ReadonlySet<number>): Promise<GeneNetwork & { regulators: Int32Array }> {
  const rng = Rng.derive(seed, 'network')
  const nGenes = design.genes.length
  const activity = new Float64Array(nGenes)
  for (let g = 0; g < nGenes; g++) activity[g] = rng.logNormal(0, params.activitySd)
  const index = new Map<number, number>()
  const src: number[] = []
  const tgt: number[] = []
  const wt: number[] = []
  const org: number[] = []
  const magnitude = () => rng.gamma(4, params.weightMean / 4)
  const noisy = (sign: number) => (rng.bernoulli(params.signNoise) ? -sign : sign)
  const add = (s: number, t: number, w: number, o: number) => {
    if (s === t) return
    const key = s * nGenes + t
    if (index.has(key)) return
    index.set(key, src.length)
    src.push(s)
    tgt.push(t)
    wt.push(w)
    org.push(o)
  }

  // pathway edges: every member drives the pathway's responders, plus a few other members,
  // strongly in its primary pathway and weakly in the others
  design.pathways.forEach((p, pi) => {
    const m = p.members
    if (m.length > params.maxEdgePathway) return
    const responders = new Set(rng.sample(Array.from(m), Math.min(m.length, params.pathwayResponders)))
    for (const j of m) {
      const scale = design.primaryPathway[j] === pi ? activity[j] : params.secondaryPathways * activity[j]
      const pResponder = Math.min(0.95, params.responderLink * scale)
      const pOther = Math.min(0.5, (params.pathwayTargets * scale) / (m.length - 1))
      for (const i of m) {
        if (i === j || rng.uniform() >= (responders.has(i) ? pResponder : pOther)) continue
        add(j, i, noisy(patternSign(seed, pi, i)) * magnitude(), PATHWAY)
      }
    }
  })

  // GO edges: from a target's most GO-similar genes, more likely the more similar
  const goPtr = new Int32Array(nGenes + 1)
  for (let g = 0; g < nGenes; g++) goPtr[g + 1] = goPtr[g] + design.goSets[g].length
  const goTerms = new Int32Array(goPtr[nGenes])
  design.goSets.forEach((s, g) => goTerms.set(s, goPtr[g]))
  let nTerms = 0
  for (const t of goTerms) nTerms = Math.max(nTerms, t + 1)
  const top = await goTopPartners({ nGenes, nTerms, indptr: goPtr, terms: goTerms }, { k: params.goPartners })
  for (let i = 0; i < nGenes; i++) {
    for (let e = top.indptr[i]; e < top.indptr[i + 1]; e++) {
      const j = top.partners[e]
      const jac = top.jaccard[e]
      if (jac < params.goMinJaccard) continue
      if (rng.uniform() < Math.min(0.5, params.goEdgeRate * jac * activity[j])) add(j, i, noisy(patternSign(seed, -1, i)) * magnitude(), GO)
    }
  }

  // transcriptional programs: a master regulator (a TF where possible) drives a broad target set;
  // each pathway feeds one program (through the members whose primary pathway it is), so
  // pathway-mates share a broad signature
  const tfs = [...design.transcriptionFactors].filter((g) => !exclude.has(g))
  const others = Array.from({ length: nGenes }, (_, g) => g).filter((g) => !exclude.has(g) && !tfs.includes(g))
  const regulators = rng.sample(tfs, params.nPrograms)
  if (regulators.length < params.nPrograms) regulators.push(...rng.sample(others, params.nPrograms - regulators.length))
  const strong = () => rng.gamma(4, params.programWeight / 4)
  regulators.forEach((h, pi) => {
    for (let t = 0; t < nGenes; t++) if (t !== h && rng.uniform() < params.programShare) add(h, t, patternSign(seed, -2 - pi, t) * magnitude(), PROGRAM)
  })
  design.pathways.forEach((p, pi) => {
    if (p.members.length > params.maxEdgePathway || regulators.length === 0) return
    const h = regulators[rng.int(regulators.length)]
    const sign = patternSign(seed, pi, -1)
    for (const j of p.members) if (design.primaryPathway[j] === pi && rng.uniform() < params.programLink) add(j, h, sign * strong(), PROGRAM)
  })

  // sparse random background with random signs
  for (let j = 0; j < nGenes; j++) {
    const n = rng.poisson(params.backgroundTargets * activity[j])
    for (let k = 0; k < n; k++) add(j, rng.int(nGenes), (rng.bernoulli(0.5) ? 1 : -1) * 0.6 * magnitude(), BACKGROUND)
  }

  // paralogs (the redundant pairs): the copy regulates what the original does, nearly equally
  const removed = new Set<number>()
  for (const [, copy] of paralogs) removed.add(copy)
  const n0 = src.length
  for (const [original, copy] of paralogs) {
    for (let e = 0; e < n0; e++) {
      if (src[e] !== original || tgt[e] === copy) continue
      index.delete(copy * nGenes + tgt[e])
      add(copy, tgt[e], wt[e] * (1 + 0.05 * rng.normal()), PARALOG)
    }
  }
  const order = src.map((_, e) => e).filter((e) => !removed.has(src[e]) || org[e] === PARALOG)
  order.sort((a, b) => src[a] - src[b] || tgt[a] - tgt[b])
  const net: GeneNetwork = {
    nGenes,
    source: Int32Array.from(order, (e) => src[e]),
    target: Int32Array.from(order, (e) => tgt[e]),
    weight: Float64Array.from(order, (e) => wt[e]),
    origin: Uint8Array.from(order, (e) => org[e]),
    outPtr: new Int32Array(nGenes + 1),
  }
  for (const s of net.source) net.outPtr[s + 1]++
  for (let g = 0; g < nGenes; g++) net.outPtr[g + 1] += net.outPtr[g]
  return { ...net, regulators: Int32Array.from(regulators) }
}

/** +1 or −1: how target `i` responds to regulators of pathway `pathway` (−1 = GO context). */
function patternSign(seed: number, pathway: number, i: number): number {
  return hashInts(seed >>> 0, Math.floor(seed / 4294967296), pathway + 7, i) & 1 ? 1 : -1
}

/**
 * Steady state of a perturbation on the log scale, by `steps` rounds of saturating propagation:
 * Δ ← u + A·tanh(Wᵀ Δ / A), starting from Δ = u (the self effects). Each round reaches one
 * more hop; A bounds how far the network alone can move a gene.
 */
export function propagate(net: GeneNetwork, impulse: [number, number][], steps: number, saturation: number): Float64Array {
  const n = net.nGenes
  const u = new Float64Array(n)
  for (const [g, v] of impulse) u[g] += v
  let delta = u.slice()
  const y = new Float64Array(n)
  for (let step = 0; step < steps; step++) {
    y.fill(0)
    for (let s = 0; s < n; s++) {
      const d = delta[s]
      if (d === 0) continue
      for (let e = net.outPtr[s]; e < net.outPtr[s + 1]; e++) y[net.target[e]] += net.weight[e] * d
    }
    const next = new Float64Array(n)
    for (let g = 0; g < n; g++) next[g] = y[g] === 0 ? u[g] : u[g] + saturation * Math.tanh(y[g] / saturation)
    delta = next
  }
  return delta
}

export function networkStats(net: GeneNetwork): NetworkStats {
  const byOrigin = { pathway: 0, go: 0, background: 0, paralog: 0, program: 0 }
  for (const o of net.origin) byOrigin[ORIGINS[o]]++
  return { edges: net.source.length, byOrigin }
}

export function networkEdges(net: GeneNetwork, genes: string[]): SyntheticEdge[] {
  return Array.from(net.source, (s, e) => ({ source: genes[s], target: genes[net.target[e]], weight: net.weight[e], origin: ORIGINS[net.origin[e]] }))
}
