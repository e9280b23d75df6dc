/**
 * Baselines (docs/ml-engine.md §8), fitted in closed form on the training conditions and reported beside
 * every model. They predict a condition's mean expression from its gene set.
 *
 * The self-effect link of `train_mean_self` (§3.8) shifts each measured perturbed gene's own
 * expression by α·c̄_g + β, with (α, β) the least-squares fit of what `train_mean` misses at the
 * target gene of every training single: knockdown removes about a fixed share of a gene's
 * expression (α < 0), activation adds roughly a fixed amount (β > 0).
 */
import { AppError } from '../../src-shared/contract/envelope'
import type { BaselineName, Split, TrainingData } from './engine-types'
import { BASELINE_NAMES } from './engine-types'
import { conditionIndex, geneIndex, rowsMean } from './expression'
import { CTRL } from './splits'
import { floorAtZero } from './mean-expression'
import { fitKnowledgePrior, KnowledgePrior, priorFromRecord, priorRecord } from './knowledge-prior'
import { fitLinearBaseline, linearFromRecord, linearRecord, predictLinear, type LinearFit } from './linear-baseline'

export interface FittedBaselines {
  controlMean: Float32Array
  /** mean Δ over the training conditions */
  trainMeanDelta: Float32Array
  /** observed Δ of every training single, by gene */
  singles: Map<string, Float32Array>
  /** [α, β] of the self-effect link */
  selfEffect: Float32Array
  /** gene symbol → expression column, for the self-effect */
  geneIdx: Map<string, number>
  /** the compositional prior (docs/ml-engine.md §11.1), fitted only for the baselines that use it */
  prior?: KnowledgePrior
  /** the `linear` baseline (docs/ml-engine.md §8), whose unseen genes take their P row from the prior's neighbours */
  linear?: LinearFit
}

/** Fits what one baseline needs: the prior for `knowledge_prior` and `linear`, the linear model for `linear`. */
export function fitBaselineFor(name: BaselineName, data: TrainingData, split: Split): FittedBaselines {
  if (name !== 'knowledge_prior' && name !== 'linear') return fitBaselines(data, split)
  const fitted = fitBaselinesWithPrior(data, split)
  if (name === 'linear') fitted.linear = fitLinearBaseline(data, split)
  return fitted
}

/** Fits the baselines, and the compositional prior when `withPrior`. */
export function fitBaselinesWithPrior(data: TrainingData, split: Split): FittedBaselines {
  const fitted = fitBaselines(data, split)
  fitted.prior = new KnowledgePrior(fitKnowledgePrior(data, split, fitted), data)
  return fitted
}

export function isBaseline(name: string): name is BaselineName {
  return (BASELINE_NAMES as readonly string[]).includes(name)
}

/** Least squares r ≈ α·x + β; with fewer than two distinct x, α = 0 and β = mean r. */
export function fitLine(x: ArrayLike<number>, r: ArrayLike<number>): [number, number] {
  const n = x.length
  if (n === 0) return [0, 0]
  let mx = 0
  let mr = 0
  for (let i = 0; i < n; i++) {
    mx += x[i]
    mr += r[i]
  }
  mx /= n
  mr /= n
  let sxx = 0
  let sxr = 0
  for (let i = 0; i < n; i++) {
    sxx += (x[i] - mx) * (x[i] - mx)
    sxr += (x[i] - mx) * (r[i] - mr)
  }
  if (!(sxx > 1e-12)) return [0, mr]
  const a = sxr / sxx
  return [a, mr - a * mx]
}

export function fitBaselines(data: TrainingData, split: Split): FittedBaselines {
  const G = data.genes.length
  const index = conditionIndex(data)
  const geneIdx = geneIndex(data)
  const c = data.controlMean
  const trainMeanDelta = new Float64Array(G)
  const singles = new Map<string, Float32Array>()
  const deltas: { genes: string[]; delta: Float32Array }[] = []
  for (const name of split.train) {
    if (name === CTRL) continue
    const cond = data.conditions[index.get(name)!]
    const mean = rowsMean(data.expression, cond.cells)
    const delta = new Float32Array(G)
    for (let g = 0; g < G; g++) {
      delta[g] = mean[g] - c[g]
      trainMeanDelta[g] += delta[g]
    }
    deltas.push({ genes: cond.genes, delta })
    if (cond.genes.length === 1) singles.set(cond.genes[0], delta)
  }
  const tm = Float32Array.from(trainMeanDelta, (s) => (deltas.length ? s / deltas.length : 0))
  // Self-effect points: singles when there are any (a combination's target also moves with its partner).
  const points = deltas.some((d) => d.genes.length === 1) ? deltas.filter((d) => d.genes.length === 1) : deltas
  const xs: number[] = []
  const rs: number[] = []
  for (const d of points) {
    for (const gene of d.genes) {
      const g = geneIdx.get(gene)
      if (g === undefined) continue
      xs.push(c[g])
      rs.push(d.delta[g] - tm[g])
    }
  }
  return { controlMean: c, trainMeanDelta: tm, singles, selfEffect: Float32Array.from(fitLine(xs, rs)), geneIdx }
}

/** Mean expression predicted by a baseline for one condition's genes ([] = ctrl), floored at 0 (see mean-expression). */
export function predictBaseline(name: BaselineName, fitted: FittedBaselines, genes: string[]): Float32Array {
  const { controlMean: c, trainMeanDelta: tm } = fitted
  const out = Float32Array.from(c)
  if (name === 'no_perturb' || genes.length === 0) return out
  if (name === 'linear') {
    if (!fitted.linear || !fitted.prior) throw new AppError('model.weights-corrupt', 'The linear baseline was stored without its fit.')
    const prior = fitted.prior
    const d = predictLinear(fitted.linear, genes, (gene) => prior.neighbourWeights(gene))
    for (let g = 0; g < out.length; g++) out[g] += d[g]
    return floorAtZero(out)
  }
  if (name === 'knowledge_prior') {
    if (!fitted.prior) throw new AppError('model.weights-corrupt', 'The knowledge_prior baseline was stored without its prior.')
    const d = fitted.prior.delta(genes)
    for (let g = 0; g < out.length; g++) out[g] += d[g]
    return floorAtZero(out)
  }
  if (name === 'additive' && genes.every((g) => fitted.singles.has(g))) {
    for (const gene of genes) {
      const d = fitted.singles.get(gene)!
      for (let g = 0; g < out.length; g++) out[g] += d[g]
    }
    return floorAtZero(out)
  }
  for (let g = 0; g < out.length; g++) out[g] += tm[g]
  if (name === 'train_mean_self') {
    const [a, b] = fitted.selfEffect
    for (const gene of genes) {
      const g = fitted.geneIdx.get(gene)
      if (g !== undefined) out[g] += a * c[g] + b
    }
  }
  return floorAtZero(out)
}

/** The fitted vectors as TrainResult.fitted stores them. */
export function fittedRecord(fitted: FittedBaselines): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = { control_mean: fitted.controlMean, train_mean_delta: fitted.trainMeanDelta, self_effect: fitted.selfEffect }
  for (const [gene, d] of fitted.singles) out[`single:${gene}`] = d
  if (fitted.prior) Object.assign(out, priorRecord(fitted.prior.state))
  if (fitted.linear) Object.assign(out, linearRecord(fitted.linear))
  return out
}

/** Rebuilds a FittedBaselines from TrainResult.fitted (to predict with a stored baseline run). */
export function fittedFromRecord(record: Record<string, Float32Array>, data: Pick<TrainingData, 'genes' | 'controlMean' | 'knowledge'>): FittedBaselines {
  const genes = data.genes
  const need = ['control_mean', 'train_mean_delta', 'self_effect']
  const missing = need.filter((k) => !record[k])
  if (missing.length) throw new AppError('model.weights-corrupt', `The stored baseline lacks ${missing.join(', ')}.`)
  const singles = new Map<string, Float32Array>()
  for (const [k, v] of Object.entries(record)) if (k.startsWith('single:')) singles.set(k.slice('single:'.length), v)
  const priorState = priorFromRecord(record)
  return {
    controlMean: record.control_mean,
    trainMeanDelta: record.train_mean_delta,
    selfEffect: record.self_effect,
    singles,
    geneIdx: new Map(genes.map((g, i) => [g, i])),
    ...(priorState ? { prior: new KnowledgePrior(priorState, data) } : {}),
    ...(record.linear_mean ? { linear: linearFromRecord(record) } : {}),
  }
}
