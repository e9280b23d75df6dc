/**
 * Evaluation metrics (docs/ml-engine.md §7), as GEARS' `evaluate` / `deeper_analysis` compute them: per
 * condition on the mean predicted and mean observed expression, then averaged over conditions
 * per test group and overall.
 *
 * Gene sets: the "top-20 DE genes" are the first 20 of the condition's full DE ranking (GEARS'
 * `de_idx` from `rank_genes_groups_cov_all`); the `_non_dropout` metrics use
 * `top_non_dropout_de_20`. A Pearson correlation with a constant side is undefined (NaN) and that
 * condition is left out of that metric's averages (numpy's nanmean), not counted as 0.
 *
 * `pearson_delta_centroid` (Systema) centres on p̄, the mean expression over all perturbed
 * training cells, instead of the control mean; where p̄ is not given (validation, a measured
 * condition shown beside a prediction) it is NaN, which the averages leave out.
 */
import { METRIC_NAMES, TEST_GROUPS, type Evaluation, type GroupMetrics, type Metrics, type TestGroup, type TrainingData } from './engine-types'
import { rowsMean } from './expression'
import { CTRL } from './splits'
import { pearson } from '../../src-shared/domain/statistics'

export interface ConditionTruth {
  condition: string
  /** mean observed expression per gene */
  mean: Float32Array
  /** the first 20 genes of the DE ranking */
  de20: Int32Array
  topNonDropoutDe20: Int32Array
  /** per-cell observed values of `de20`, row-major [cells, de20.length] (for the percentiles) */
  cellValuesDe: Float32Array
}

export function conditionTruth(data: TrainingData, conditionIdx: number): ConditionTruth {
  const c = data.conditions[conditionIdx]
  const x = data.expression
  const mean = rowsMean(x, c.cells)
  const de20 = c.de ? c.de.ranking.slice(0, 20) : new Int32Array(0)
  const k = de20.length
  const col = new Map(Array.from(de20, (g, i) => [g, i]))
  const cellValuesDe = new Float32Array(c.cells.length * k)
  for (let r = 0; r < c.cells.length; r++) {
    const row = c.cells[r]
    for (let e = x.indptr[row]; e < x.indptr[row + 1]; e++) {
      const j = col.get(x.indices[e])
      if (j !== undefined) cellValuesDe[r * k + j] = x.data[e]
    }
  }
  return { condition: c.condition, mean, de20, topNonDropoutDe20: c.de ? c.de.topNonDropoutDe20 : new Int32Array(0), cellValuesDe }
}

function mse(a: ArrayLike<number>, b: ArrayLike<number>, idx: ArrayLike<number> | null = null): number {
  const n = idx ? idx.length : a.length
  if (n === 0) return NaN
  let s = 0
  for (let i = 0; i < n; i++) {
    const g = idx ? idx[i] : i
    const d = a[g] - b[g]
    s += d * d
  }
  return s / n
}

/** numpy.percentile's default (linear interpolation between the closest ranks). */
export function percentile(values: ArrayLike<number>, q: number): number {
  const v = Float64Array.from(values).sort()
  if (v.length === 0) return NaN
  const pos = (q / 100) * (v.length - 1)
  const lo = Math.floor(pos)
  const hi = Math.min(v.length - 1, lo + 1)
  return v[lo] + (v[hi] - v[lo]) * (pos - lo)
}

/**
 * p̄ of `pearson_delta_centroid`: the mean expression over all cells of the perturbed (non-ctrl)
 * training conditions, pooled (a condition weighs by its cells); null without any.
 */
export function perturbedTrainingMean(data: TrainingData, trainConditions: readonly string[]): Float32Array | null {
  const wanted = new Set(trainConditions)
  wanted.delete(CTRL)
  const parts = data.conditions.filter((c) => wanted.has(c.condition) && c.genes.length > 0).map((c) => c.cells)
  const n = parts.reduce((s, p) => s + p.length, 0)
  if (n === 0) return null
  const cells = new Int32Array(n)
  let at = 0
  for (const p of parts) {
    cells.set(p, at)
    at += p.length
  }
  return rowsMean(data.expression, cells)
}

/** `perturbedMean`: p̄ of `pearson_delta_centroid` (perturbedTrainingMean); without it that metric is NaN. */
export function conditionMetrics(pred: ArrayLike<number>, truth: ConditionTruth, controlMean: ArrayLike<number>, perturbedMean?: ArrayLike<number> | null): Metrics {
  const { mean, de20, topNonDropoutDe20: nd } = truth
  let opposite = 0
  for (let i = 0; i < nd.length; i++) {
    const g = nd[i]
    const sp = Math.sign(pred[g] - controlMean[g])
    const st = Math.sign(mean[g] - controlMean[g])
    if (Math.abs(sp - st) === 2) opposite++
  }
  const k = de20.length
  const nCells = k ? truth.cellValuesDe.length / k : 0
  let inRange = 0
  const column = new Float32Array(nCells)
  for (let j = 0; j < k; j++) {
    for (let r = 0; r < nCells; r++) column[r] = truth.cellValuesDe[r * k + j]
    const p = pred[de20[j]]
    if (p >= percentile(column, 45) && p <= percentile(column, 55)) inRange++
  }
  return {
    mse: mse(pred, mean),
    pearson: pearson(pred, mean),
    mse_de: mse(pred, mean, de20),
    pearson_de: pearson(pred, mean, de20),
    pearson_delta: pearson(pred, mean, null, controlMean, controlMean),
    pearson_delta_de: pearson(pred, mean, de20, controlMean, controlMean),
    pearson_delta_centroid: perturbedMean ? pearson(pred, mean, null, perturbedMean, perturbedMean) : NaN,
    frac_opposite_direction_top20_non_dropout: nd.length ? opposite / nd.length : NaN,
    mse_top20_de_non_dropout: mse(pred, mean, nd),
    frac_in_range_45_55: k && nCells ? inRange / k : NaN,
  }
}

/** Mean over conditions, skipping NaN (an undefined correlation is not a zero). */
export function averageMetrics(list: Metrics[]): Metrics {
  const out = {} as Metrics
  for (const m of METRIC_NAMES) {
    let s = 0
    let n = 0
    for (const x of list) {
      if (Number.isFinite(x[m])) {
        s += x[m]
        n++
      }
    }
    out[m] = n ? s / n : NaN
  }
  return out
}

/**
 * Per-condition metrics → per group and overall, with `mse_de_norm` = the group's `mse_de` ÷ the
 * no-perturbation baseline's `mse_de` on the same conditions.
 */
export function aggregateEvaluation(perCondition: Record<string, Metrics>, noPerturb: Record<string, Metrics>, testGroups: Record<string, TestGroup>): Evaluation {
  const group = (names: string[]): GroupMetrics => {
    const m = averageMetrics(names.map((c) => perCondition[c]))
    const base = averageMetrics(names.map((c) => noPerturb[c])).mse_de
    return { ...m, n: names.length, mse_de_norm: base > 0 ? m.mse_de / base : NaN }
  }
  const names = Object.keys(perCondition).sort()
  const groups: Evaluation['groups'] = {}
  for (const g of TEST_GROUPS) {
    const members = names.filter((c) => testGroups[c] === g)
    if (members.length) groups[g] = group(members)
  }
  return { overall: group(names), groups, perCondition }
}

/**
 * Evaluates mean predictions for `conditions` (names) against the data; `truths` may be passed
 * in to reuse them across epochs. The no-perturbation baseline (control mean) is computed here.
 * `perturbedMean`: p̄ of `pearson_delta_centroid`, i.e. perturbedTrainingMean(data, split.train);
 * without it that metric is NaN.
 */
export function evaluatePredictions(
  data: TrainingData,
  conditions: string[],
  predictions: Map<string, Float32Array>,
  testGroups: Record<string, TestGroup>,
  truths?: Map<string, ConditionTruth>,
  perturbedMean?: ArrayLike<number> | null,
): Evaluation {
  const perCondition: Record<string, Metrics> = {}
  const noPerturb: Record<string, Metrics> = {}
  const index = new Map(data.conditions.map((c, i) => [c.condition, i]))
  for (const name of conditions) {
    const pred = predictions.get(name)
    const ci = index.get(name)
    if (!pred || ci === undefined) continue
    const truth = truths?.get(name) ?? conditionTruth(data, ci)
    perCondition[name] = conditionMetrics(pred, truth, data.controlMean, perturbedMean)
    noPerturb[name] = conditionMetrics(data.controlMean, truth, data.controlMean, perturbedMean)
  }
  return aggregateEvaluation(perCondition, noPerturb, testGroups)
}
