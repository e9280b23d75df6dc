/**
 * The compositional prior (docs/ml-engine.md §11.1): the `knowledge_prior` baseline, and what the residual
 * GEARS and BioDSNN add their network's correction to (§11.2).
 *
 * For a gene set S, prior(S) = Σ_{g∈S} δ̂_g, the predicted change from control:
 * - a gene the training split measured alone: its measured mean change δ_g, shrunk toward its
 *   knowledge estimate by κ/(n_g + κ) (n_g its cells; κ = per-cell noise ÷ spread of the true changes);
 * - any other gene: its knowledge estimate e_g = m + ρ·(k_g − m), where m is the training mean change
 *   and k_g the similarity-weighted mean of the measured changes of g's neighbours among the trained
 *   genes (Jaccard of lowest-level Reactome pathways, weighted λ, and of GO terms, weighted 1 − λ;
 *   each neighbour's own knockdown column is replaced by m, since it says nothing about g); then the
 *   self-effect link (§3.8) sets g's own column. With no trained neighbour, e_g is `train_mean_self`.
 * λ and ρ are fitted by leave-one-gene-out over the trained genes (each estimated from the others,
 * scored on its top-20 DE genes), κ by the method of moments on the same residuals.
 */
import { AppError } from '../../src-shared/contract/envelope'
import type { FittedBaselines } from './baselines'
import type { CsrArrays, Split, TrainingData } from './engine-types'
import { geneIndex } from './expression'
import { CTRL } from './splits'

/** Neighbours kept per gene and source (as GEARS keeps 20 GO partners). */
export const PRIOR_NEIGHBOURS = 20
const GRID = Array.from({ length: 11 }, (_, i) => i / 10)

/** What a fitted prior stores: plain arrays, so it travels to workers and into checkpoints. */
export interface PriorState {
  /** genes the training split measured alone, sorted */
  trained: string[]
  /** [trained, G] their measured mean change from control */
  deltas: Float32Array
  /** cells behind each measured change */
  cells: Float32Array
  /** training mean change (all training conditions) */
  trainMeanDelta: Float32Array
  /** [a, b] of the self-effect link: own column += a·c̄_g + b */
  selfEffect: Float32Array
  /** [λ (Reactome share of the similarity), ρ (weight of the neighbours against the mean), κ (shrinkage, in cells)] */
  weights: Float32Array
}

export type PriorSource = 'measured' | 'neighbours' | 'mean'

type Neighbours = { rows: Int32Array; weights: Float64Array; reactome: number; go: number }

/** A fitted prior over one dataset's genes and knowledge; estimates are cached per gene. */
export class KnowledgePrior {
  readonly G: number
  private readonly trainedRow = new Map<string, number>()
  private readonly col: Map<string, number>
  private readonly pertRow: Map<string, number>
  private readonly estimates = new Map<string, Float32Array>()
  private readonly shrunk = new Map<string, Float32Array>()
  private readonly neighbourCache = new Map<string, Neighbours>()
  /** measured changes with each trained gene's own column replaced by the mean (what it says about others) */
  private readonly others: Float32Array

  constructor(
    readonly state: PriorState,
    private readonly data: Pick<TrainingData, 'genes' | 'controlMean' | 'knowledge'>,
  ) {
    this.G = data.genes.length
    if (state.deltas.length !== state.trained.length * this.G) throw new AppError('model.weights-corrupt', `The stored prior has ${state.deltas.length} values for ${state.trained.length} genes × ${this.G} measured genes.`)
    state.trained.forEach((g, i) => this.trainedRow.set(g, i))
    this.col = new Map(data.genes.map((g, i) => [g, i]))
    this.pertRow = new Map(data.knowledge.pertGenes.map((g, i) => [g, i]))
    this.others = Float32Array.from(state.deltas)
    state.trained.forEach((g, t) => {
      const c = this.col.get(g)
      if (c !== undefined) this.others[t * this.G + c] = state.trainMeanDelta[c]
    })
  }

  get lambda(): number {
    return this.state.weights[0]
  }
  get rho(): number {
    return this.state.weights[1]
  }
  get kappa(): number {
    return this.state.weights[2]
  }

  isMeasured(gene: string): boolean {
    return this.trainedRow.has(gene)
  }

  /** Where a gene's prior comes from: its own measurement, its neighbours, or the training mean. */
  sourceOf(gene: string): PriorSource {
    if (this.trainedRow.has(gene)) return 'measured'
    return this.neighbours(gene).rows.length && this.rho > 0 ? 'neighbours' : 'mean'
  }

  /** The trained genes a gene's estimate draws on, with their pooled weights (summing to 1). */
  neighbourWeights(gene: string, exclude?: string): Map<string, number> {
    const n = this.neighbours(gene, exclude)
    let total = 0
    for (const w of n.weights) total += w
    const out = new Map<string, number>()
    if (total > 0) n.rows.forEach((t, i) => out.set(this.state.trained[t], n.weights[i] / total))
    return out
  }

  /**
   * Pooled neighbours among the trained genes: Reactome-L1 Jaccard × λ plus GO Jaccard × (1 − λ),
   * the top PRIOR_NEIGHBOURS of each source; `exclude` leaves a gene out (leave-one-gene-out).
   */
  neighbours(gene: string, exclude?: string, lambda = this.lambda): Neighbours {
    const key = `${gene}\u0000${exclude ?? ''}\u0000${lambda}`
    const cached = this.neighbourCache.get(key)
    if (cached) return cached
    const ann = this.data.knowledge.annotations
    const row = this.pertRow.get(gene)
    const pooled = new Map<number, number>()
    let reactome = 0
    let go = 0
    if (ann && row !== undefined) {
      const pick = (ptr: Int32Array, items: Int32Array, share: number): number => {
        if (share <= 0 || ptr[row + 1] === ptr[row]) return 0
        const mine = items.subarray(ptr[row], ptr[row + 1])
        const scored: [number, number][] = []
        this.state.trained.forEach((t, i) => {
          if (t === gene || t === exclude) return
          const r = this.pertRow.get(t)
          if (r === undefined) return
          const j = jaccard(mine, items.subarray(ptr[r], ptr[r + 1]))
          if (j > 0) scored.push([i, j])
        })
        scored.sort((a, b) => b[1] - a[1] || a[0] - b[0])
        for (const [i, j] of scored.slice(0, PRIOR_NEIGHBOURS)) pooled.set(i, (pooled.get(i) ?? 0) + share * j)
        return Math.min(scored.length, PRIOR_NEIGHBOURS)
      }
      reactome = pick(ann.l1Ptr, ann.l1Pathways, lambda)
      go = pick(ann.goPtr, ann.goTerms, 1 - lambda)
    }
    const rows = Int32Array.from([...pooled.keys()].sort((a, b) => a - b))
    const out = { rows, weights: Float64Array.from(rows, (r) => pooled.get(r)!), reactome, go }
    this.neighbourCache.set(key, out)
    return out
  }

  /** k_g: the similarity-weighted mean of the neighbours' changes (own columns removed); null without neighbours. */
  neighbourMean(gene: string, exclude?: string, lambda = this.lambda): Float32Array | null {
    const n = this.neighbours(gene, exclude, lambda)
    let total = 0
    for (const w of n.weights) total += w
    if (!(total > 0)) return null
    const G = this.G
    const out = new Float64Array(G)
    n.rows.forEach((t, i) => {
      const w = n.weights[i] / total
      const d = this.others.subarray(t * G, (t + 1) * G)
      for (let g = 0; g < G; g++) out[g] += w * d[g]
    })
    return Float32Array.from(out)
  }

  /** e_g, the knowledge estimate of a gene's change (as if it were not measured); `exclude` for leave-one-out. */
  estimate(gene: string, exclude?: string): Float32Array {
    const key = `${gene}\u0000${exclude ?? ''}`
    const cached = this.estimates.get(key)
    if (cached) return cached
    const m = this.state.trainMeanDelta
    const k = this.rho > 0 ? this.neighbourMean(gene, exclude) : null
    const out = Float32Array.from(m)
    if (k) for (let g = 0; g < this.G; g++) out[g] = m[g] + this.rho * (k[g] - m[g])
    this.applySelfEffect(out, gene)
    this.estimates.set(key, out)
    return out
  }

  /** Sets the gene's own column (when measured) to the self-effect link's value. */
  applySelfEffect(delta: Float32Array, gene: string): void {
    const c = this.col.get(gene)
    if (c === undefined) return
    const [a, b] = this.state.selfEffect
    delta[c] = this.state.trainMeanDelta[c] + a * this.data.controlMean[c] + b
  }

  /** δ̂_g: the measured change shrunk toward the estimate, or the estimate for a gene not measured alone. */
  single(gene: string): Float32Array {
    const t = this.trainedRow.get(gene)
    if (t === undefined) return this.estimate(gene)
    const cached = this.shrunk.get(gene)
    if (cached) return cached
    const G = this.G
    const n = this.state.cells[t]
    const kappa = this.kappa
    const measured = this.state.deltas.subarray(t * G, (t + 1) * G)
    let out: Float32Array
    if (kappa > 0) {
      const e = this.estimate(gene, gene)
      out = Float32Array.from(measured, (d, g) => (n * d + kappa * e[g]) / (n + kappa))
    } else out = Float32Array.from(measured)
    this.shrunk.set(gene, out)
    return out
  }

  /**
   * prior(S) = Σ δ̂_g (a change from control, length G). `training`: a set that is one trained gene
   * gets its leave-one-out estimate instead of its measurement, so a residual network learns the
   * correction an unseen gene's estimate needs (its pairs keep the measured singles they are tested with).
   */
  delta(genes: readonly string[], training = false): Float32Array {
    const out = new Float32Array(this.G)
    if (genes.length === 1 && training && this.trainedRow.has(genes[0])) {
      out.set(this.estimate(genes[0], genes[0]))
      return out
    }
    for (const gene of genes) {
      const d = this.single(gene)
      for (let g = 0; g < this.G; g++) out[g] += d[g]
    }
    return out
  }

  /** prior rows for many sets, row-major [sets, G] or [sets, columns]. */
  deltas(sets: readonly (readonly string[])[], training = false, columns?: Int32Array): Float32Array {
    const width = columns ? columns.length : this.G
    const out = new Float32Array(sets.length * width)
    sets.forEach((genes, i) => {
      const d = this.delta(genes, training)
      if (columns) for (let k = 0; k < width; k++) out[i * width + k] = d[columns[k]]
      else out.set(d, i * width)
    })
    return out
  }
}

/** |a ∩ b| / |a ∪ b| of two sorted id lists. */
export function jaccard(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length === 0 || b.length === 0) return 0
  let i = 0
  let j = 0
  let both = 0
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      both++
      i++
      j++
    } else if (a[i] < b[j]) i++
    else j++
  }
  return both / (a.length + b.length - both)
}

/** Per gene of `cols`, the mean over `rows` of x² (sparse rows, other columns skipped). */
function meanSquares(x: CsrArrays, rows: ArrayLike<number>, cols: ArrayLike<number>): Float64Array {
  const at = new Map<number, number>()
  for (let k = 0; k < cols.length; k++) at.set(cols[k], k)
  const out = new Float64Array(cols.length)
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]
    for (let e = x.indptr[r]; e < x.indptr[r + 1]; e++) {
      const k = at.get(x.indices[e])
      if (k !== undefined) out[k] += x.data[e] * x.data[e]
    }
  }
  for (let k = 0; k < out.length; k++) out[k] /= Math.max(1, rows.length)
  return out
}

/** Fits the prior on the split's training conditions (docs/ml-engine.md §11.1), from the baselines' fit of the same split. */
export function fitKnowledgePrior(data: TrainingData, split: Split, base: FittedBaselines): PriorState {
  const G = data.genes.length
  const byName = new Map(data.conditions.map((c) => [c.condition, c]))
  const trained = [...base.singles.keys()].sort()
  const deltas = new Float32Array(trained.length * G)
  const cells = new Float32Array(trained.length)
  trained.forEach((g, t) => {
    deltas.set(base.singles.get(g)!, t * G)
    cells[t] = singleCondition(byName, split, g)?.cells.length ?? 0
  })
  const state: PriorState = { trained, deltas, cells, trainMeanDelta: base.trainMeanDelta, selfEffect: base.selfEffect, weights: Float32Array.from([0.5, 0, 0]) }
  if (trained.length < 2) return state

  // Leave-one-gene-out: each trained gene estimated from the others, scored on its top-20 DE genes
  // (its own column excluded: the self-effect link sets it whatever λ and ρ are).
  const prior = new KnowledgePrior(state, data)
  const col = geneIndex(data)
  const cases = trained
    .map((gene, t) => {
      const c = singleCondition(byName, split, gene)!
      const own = col.get(gene)
      const de = Array.from(c.de ? c.de.ranking.slice(0, 21) : []).filter((g) => g !== own).slice(0, 20)
      return { gene, t, c, de: Int32Array.from(de) }
    })
    .filter((k) => k.de.length > 0)
  if (cases.length < 2) return state
  const m = state.trainMeanDelta
  let best = { lambda: 0.5, rho: 0, error: Infinity }
  for (const lambda of GRID) {
    // The neighbour means for this λ, at each case's DE genes (ρ is then arithmetic).
    const ks = cases.map((k) => prior.neighbourMean(k.gene, k.gene, lambda))
    for (const rho of GRID) {
      let error = 0
      cases.forEach((k, i) => {
        const kk = ks[i]
        let s = 0
        for (const g of k.de) {
          const e = kk ? m[g] + rho * (kk[g] - m[g]) : m[g]
          const d = e - deltas[k.t * G + g]
          s += d * d
        }
        error += s / k.de.length
      })
      if (error < best.error - 1e-12) best = { lambda, rho, error }
    }
  }
  state.weights[0] = best.lambda
  state.weights[1] = best.rho

  // κ = per-cell noise variance ÷ variance of the true changes around their estimates (moments).
  const fitted = new KnowledgePrior(state, data)
  let noise = 0
  let spread = 0
  for (const k of cases) {
    const e = fitted.estimate(k.gene, k.gene)
    const mean = deltas.subarray(k.t * G, (k.t + 1) * G)
    const sq = meanSquares(data.expression, k.c.cells, k.de)
    let v = 0
    let err = 0
    k.de.forEach((g, j) => {
      const mu = mean[g] + data.controlMean[g]
      v += Math.max(0, sq[j] - mu * mu)
      err += (e[g] - mean[g]) ** 2
    })
    v /= k.de.length
    err /= k.de.length
    noise += v
    spread += err - v / Math.max(1, k.c.cells.length)
  }
  noise /= cases.length
  spread = Math.max(spread / cases.length, 1e-6 * noise + 1e-12)
  state.weights[2] = noise / spread
  return state
}

function singleCondition(byName: Map<string, TrainingData['conditions'][number]>, split: Split, gene: string) {
  for (const name of split.train) {
    if (name === CTRL) continue
    const c = byName.get(name)
    if (c && c.genes.length === 1 && c.genes[0] === gene) return c
  }
  return undefined
}

// ── storage ──────────────────────────────────────────────────────────────────────────

/** The prior as TrainResult.fitted keys (beside the other baselines' vectors). */
export function priorRecord(state: PriorState): Record<string, Float32Array> {
  const G = state.trainMeanDelta.length
  const out: Record<string, Float32Array> = { 'prior.weights': state.weights, 'prior.self_effect': state.selfEffect, 'prior.train_mean_delta': state.trainMeanDelta }
  state.trained.forEach((g, t) => {
    out[`prior.single:${g}`] = state.deltas.slice(t * G, (t + 1) * G)
    out[`prior.cells:${g}`] = Float32Array.of(state.cells[t])
  })
  return out
}

export function priorFromRecord(record: Record<string, Float32Array>): PriorState | null {
  if (!record['prior.weights']) return null
  const trained = Object.keys(record)
    .filter((k) => k.startsWith('prior.single:'))
    .map((k) => k.slice('prior.single:'.length))
    .sort()
  const G = record['prior.train_mean_delta'].length
  const deltas = new Float32Array(trained.length * G)
  trained.forEach((g, t) => deltas.set(record[`prior.single:${g}`], t * G))
  return {
    trained,
    deltas,
    cells: Float32Array.from(trained, (g) => record[`prior.cells:${g}`]?.[0] ?? 0),
    trainMeanDelta: record['prior.train_mean_delta'],
    selfEffect: record['prior.self_effect'],
    weights: record['prior.weights'],
  }
}
