/**
 * The knowledge graphs the trainer builds (docs/ml-engine.md §2): the Reactome perturbation graph from the
 * genes' L1 pathways, and the split-dependent graphs: the co-expression graph over training cells of control
 * and single perturbations (combinations excluded, as in the reference), and the attention mask
 * with its co-expression fallback for genes without a pathway. Computed by the trainer per split,
 * stored with the run's weights, so no test cell leaks into either.
 */
import { coexpressionGraph, type CoexpressionGraph } from './coexpression'
import type { KnowledgeData, Split, TrainingData } from './engine-types'
import { maskFromRows, type AttentionMask } from './ops/attention-mask'

export type { CoexpressionGraph }

/** Rows used for the co-expression graph: training ctrl and single-perturbation cells. */
export function coexpressionRows(data: TrainingData, split: Split, maxCells = Infinity): Int32Array {
  const train = new Set(split.train)
  const rows: number[] = []
  for (const c of data.conditions) {
    if (!train.has(c.condition) || c.genes.length > 1) continue
    for (const r of c.cells) rows.push(r)
  }
  rows.sort((a, b) => a - b)
  if (rows.length <= maxCells) return Int32Array.from(rows)
  // An evenly spaced subset keeps the cost bounded (Σ nnz² per cell) without a random draw.
  const out = new Int32Array(maxCells)
  for (let i = 0; i < maxCells; i++) out[i] = rows[Math.floor((i * rows.length) / maxCells)]
  return out
}

/**
 * Pearson r over at most this many training cells (evenly spaced): its sampling error (~1/√n ≈
 * 0.014) is far inside the 0.4 threshold, and the Gram accumulation costs Σ nnz² per cell
 * (all 32 k training cells of norman-like: ~40 s on one core).
 */
export const COEXPRESSION_MAX_CELLS = 5000

export function splitCoexpression(data: TrainingData, split: Split, maxCells = COEXPRESSION_MAX_CELLS): CoexpressionGraph {
  return coexpressionGraph(data.expression, { rows: coexpressionRows(data, split, maxCells), k: 20, threshold: 0.4 })
}

/**
 * The attention mask the model uses: the pathway mask from the training data, plus — for genes
 * without a pathway — their co-expression neighbours, both directions (docs/ml-engine.md §2). Without a
 * pathway mask (no knowledge base) every gene falls back to its co-expression neighbours.
 */
export function attentionMaskFor(data: TrainingData, coexp: CoexpressionGraph): AttentionMask {
  const G = data.genes.length
  const m = data.knowledge.mask
  const rows: number[][] = Array.from({ length: G }, (_, i) => (m ? Array.from(m.colIdx.subarray(m.rowPtr[i], m.rowPtr[i + 1])) : [i]))
  const lonely = new Uint8Array(G)
  if (!m) lonely.fill(1)
  else if (m.withoutPathwayGenes) for (const g of m.withoutPathwayGenes) lonely[g] = 1
  else return maskFromRows(rows) // a mask that already holds its fallback
  for (let e = 0; e < coexp.source.length; e++) {
    const a = coexp.source[e]
    const b = coexp.target[e]
    if (a === b || !(lonely[a] || lonely[b])) continue
    rows[a].push(b)
    rows[b].push(a)
  }
  return maskFromRows(rows)
}

/**
 * The Reactome perturbation graph (docs/ml-engine.md §2): genes that share a lowest-level (L1) Reactome
 * pathway, weight = Jaccard of their L1 pathway sets, each gene's top `topK` partners, as edges
 * partner → gene over the vocabulary rows of `annotations` (the GO graph's layout).
 */
export function reactomePerturbationGraph(annotations: NonNullable<KnowledgeData['annotations']>, topK = 20): { source: Int32Array; target: Int32Array; weight: Float32Array } {
  const { l1Ptr: ptr, l1Pathways: items } = annotations
  const P = ptr.length - 1
  const members = new Map<number, number[]>()
  for (let g = 0; g < P; g++) for (let e = ptr[g]; e < ptr[g + 1]; e++) {
    const list = members.get(items[e])
    if (list) list.push(g)
    else members.set(items[e], [g])
  }
  const source: number[] = []
  const target: number[] = []
  const weight: number[] = []
  const shared = new Map<number, number>()
  for (let g = 0; g < P; g++) {
    const n = ptr[g + 1] - ptr[g]
    if (n === 0) continue
    shared.clear()
    for (let e = ptr[g]; e < ptr[g + 1]; e++) for (const h of members.get(items[e])!) if (h !== g) shared.set(h, (shared.get(h) ?? 0) + 1)
    const scored = [...shared].map(([h, both]) => [h, both / (n + (ptr[h + 1] - ptr[h]) - both)] as const)
    scored.sort((a, b) => b[1] - a[1] || a[0] - b[0])
    for (const [h, j] of scored.slice(0, topK)) {
      source.push(h)
      target.push(g)
      weight.push(j)
    }
  }
  return { source: Int32Array.from(source), target: Int32Array.from(target), weight: Float32Array.from(weight) }
}
