/**
 * What the dataset observed for a condition it measured, beside a prediction of it: the observed
 * mean change over control for every gene, the observed per-cell change of the top-20 DE genes
 * (the box plots of GEARS' figure) and the §7 metrics of the prediction — computed by the same
 * functions as the run's test evaluation, so a test condition gets the `mse_de` the run stored.
 */
import type { MeasuredCondition, RunMetrics, RunTestGroup } from '../../../src-shared/contract'
import { float32Number, float32Numbers } from '../../../src-shared/exports/numbers'
import type { Evaluation, Split, TrainingData } from '../../ml/engine-types'
import { conditionMetrics, conditionTruth } from '../../ml/metrics'

export function measuredCondition(data: TrainingData, conditionIdx: number, pred: Float32Array, split: Split | null, test: Evaluation | null, perturbedMean: Float32Array | null = null): MeasuredCondition {
  const c = data.conditions[conditionIdx]
  const truth = conditionTruth(data, conditionIdx)
  const cbar = data.controlMean
  const G = data.genes.length
  const observedChange = new Float32Array(G)
  for (let g = 0; g < G; g++) observedChange[g] = truth.mean[g] - cbar[g]
  const k = truth.de20.length
  const nCells = k ? truth.cellValuesDe.length / k : 0
  const cellChanges = Array.from(truth.de20, (g, j) => {
    const col = new Array<number>(nCells)
    for (let r = 0; r < nCells; r++) col[r] = float32Number(truth.cellValuesDe[r * k + j] - cbar[g])
    return col
  })
  const subset = !split ? null : split.test.includes(c.condition) ? 'test' : split.val.includes(c.condition) ? 'val' : split.train.includes(c.condition) ? 'train' : null
  const stored = test?.perCondition[c.condition]
  return {
    cells: c.cells.length,
    subset,
    testGroup: subset === 'test' ? ((split?.testGroups[c.condition] as RunTestGroup | undefined) ?? null) : null,
    observedChange: float32Numbers(observedChange),
    de: { genes: Array.from(truth.de20, (g) => data.genes[g]), index: Array.from(truth.de20), cellChanges },
    metrics: conditionMetrics(pred, truth, cbar, perturbedMean ?? undefined) as RunMetrics,
    storedMetrics: stored ? (stored as RunMetrics) : null,
  }
}
