import { describe, expect, it } from 'vitest'
import { aggregateEvaluation, conditionMetrics, conditionTruth, evaluatePredictions, percentile, perturbedTrainingMean, type ConditionTruth } from './metrics'
import { pearson } from '../../src-shared/domain/statistics'
import { tinyScreen } from '../test-support/tiny-screen'
import type { Metrics } from './engine-types'

describe('metric helpers', () => {
  it('computes Pearson and numpy-style percentiles by hand', () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12)
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12)
    // x = [1,2,3,4], y = [1,3,2,4]: cov 1.25·(4/4), r = 0.8
    expect(pearson([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 12)
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN()
    // numpy.percentile([1, 2, 3, 4], 45) = 1 + 0.45·3 = 2.35
    expect(percentile([4, 1, 3, 2], 45)).toBeCloseTo(2.35, 12)
    expect(percentile([4, 1, 3, 2], 55)).toBeCloseTo(2.65, 12)
    expect(percentile([7], 45)).toBe(7)
  })
})

describe('conditionMetrics', () => {
  // 4 genes; DE ranking [2, 0, 1, 3] (all 4 are the "top 20"); non-dropout top: [2, 0].
  const ctrl = Float32Array.from([1, 1, 1, 1])
  const truth: ConditionTruth = {
    condition: 'A+ctrl',
    mean: Float32Array.from([2, 1, 0, 1]),
    de20: Int32Array.from([2, 0, 1, 3]),
    topNonDropoutDe20: Int32Array.from([2, 0]),
    // three cells × the 4 DE genes, in de20 order
    cellValuesDe: Float32Array.from([0, 1, 1, 1, 0, 2, 1, 1, 0, 3, 1, 1]),
  }
  const pred = Float32Array.from([1.5, 1, 1.5, 1])
  const m = conditionMetrics(pred, truth, ctrl)

  it('matches hand-computed values', () => {
    // errors: [-0.5, 0, 1.5, 0] → mse = (0.25 + 2.25) / 4
    expect(m.mse).toBeCloseTo(0.625, 7)
    expect(m.mse_de).toBeCloseTo(0.625, 7)
    expect(m.mse_top20_de_non_dropout).toBeCloseTo((2.25 + 0.25) / 2, 7)
    expect(m.pearson).toBeCloseTo(pearson([1.5, 1, 1.5, 1], [2, 1, 0, 1]), 7)
    // deltas: pred − c = [0.5, 0, 0.5, 0], truth − c = [1, 0, −1, 0] → r = 0
    expect(m.pearson_delta).toBeCloseTo(0, 7)
    // gene 2: pred up, truth down → opposite; gene 0: both up → 1 of 2
    expect(m.frac_opposite_direction_top20_non_dropout).toBe(0.5)
    // per-gene 45–55th percentiles: gene2 [0,0,0] (1.5 out), gene0 [1,2,3] 1.9–2.1 (1.5 out), gene1 [1,1,1] (1 in), gene3 (1 in)
    expect(m.frac_in_range_45_55).toBe(0.5)
    // no p̄ given: the centroid metric is undefined (left out of averages)
    expect(m.pearson_delta_centroid).toBeNaN()
  })

  it('computes pearson_delta_centroid against the perturbed-training mean p̄ by hand', () => {
    const pbar = Float32Array.from([1.5, 0.5, 1, 2])
    const got = conditionMetrics(pred, truth, ctrl, pbar)
    // pred − p̄ = [0, 0.5, 0.5, −1] (mean 0); truth − p̄ = [0.5, 0.5, −1, −1] (mean −0.25)
    // centred: a = [0, .5, .5, −1], b = [.75, .75, −.75, −.75]
    // Σab = 0.75, Σa² = 1.5, Σb² = 2.25 → r = 0.75 / √3.375 = 1/√6
    expect(got.pearson_delta_centroid).toBeCloseTo(1 / Math.sqrt(6), 7)
    // the other metrics do not depend on p̄
    expect({ ...got, pearson_delta_centroid: 0 }).toEqual({ ...m, pearson_delta_centroid: 0 })
    // predicting p̄ itself has a constant side: undefined, not 0
    expect(conditionMetrics(pbar, truth, ctrl, pbar).pearson_delta_centroid).toBeNaN()
  })

  it('agrees with a direct reimplementation on a real condition', () => {
    const data = tinyScreen()
    const ci = 3
    const t = conditionTruth(data, ci)
    const cells = data.conditions[ci].cells
    // Independent dense mean
    const G = data.genes.length
    const dense = Array.from({ length: G }, (_, g) => {
      let s = 0
      for (const r of cells) for (let e = data.expression.indptr[r]; e < data.expression.indptr[r + 1]; e++) if (data.expression.indices[e] === g) s += data.expression.data[e]
      return s / cells.length
    })
    dense.forEach((v, g) => expect(t.mean[g]).toBeCloseTo(v, 5))
    const p = Float32Array.from(dense, (v, g) => v + 0.1 * Math.sin(g))
    const got = conditionMetrics(p, t, data.controlMean)
    const de = Array.from(data.conditions[ci].de!.ranking.slice(0, 20))
    const mseDe = de.reduce((s, g) => s + (p[g] - dense[g]) ** 2, 0) / de.length
    expect(got.mse_de).toBeCloseTo(mseDe, 6)
    const dp = de.map((g) => p[g] - data.controlMean[g])
    const dt = de.map((g) => dense[g] - data.controlMean[g])
    expect(got.pearson_delta_de).toBeCloseTo(pearson(dp, dt), 6)
  })
})

describe('aggregation', () => {
  const metric = (v: number): Metrics => ({ mse: v, pearson: v, mse_de: v, pearson_de: v, pearson_delta: v, pearson_delta_de: v, pearson_delta_centroid: v, frac_opposite_direction_top20_non_dropout: v, mse_top20_de_non_dropout: v, frac_in_range_45_55: v })

  it('averages per group and overall, skips NaN and normalises mse_de by no_perturb', () => {
    const per = { a: metric(1), b: metric(3), c: { ...metric(5), pearson: NaN } }
    const base = { a: metric(2), b: metric(2), c: metric(8) }
    const e = aggregateEvaluation(per, base, { a: 'unseen_single', b: 'unseen_single', c: 'combo_seen0' })
    expect(e.overall.mse_de).toBe(3)
    expect(e.overall.pearson).toBe(2)
    expect(e.overall.n).toBe(3)
    expect(e.overall.mse_de_norm).toBe(3 / 4)
    expect(e.groups.unseen_single).toMatchObject({ n: 2, mse_de: 2, mse_de_norm: 1 })
    expect(e.groups.combo_seen0).toMatchObject({ n: 1, mse_de_norm: 5 / 8 })
    expect(e.groups.combo_seen1).toBeUndefined()
  })

  it('gives the no-perturbation prediction mse_de_norm = 1', () => {
    const data = tinyScreen()
    const names = data.conditions.slice(1, 5).map((c) => c.condition)
    const e = evaluatePredictions(data, names, new Map(names.map((n) => [n, data.controlMean])), {})
    expect(e.overall.mse_de_norm).toBeCloseTo(1, 12)
    expect(e.overall.n).toBe(4)
  })
})

describe('perturbedTrainingMean', () => {
  it('pools the cells of the perturbed training conditions (not ctrl, not the held-out ones) and feeds the centroid metric', () => {
    const data = tinyScreen({ singles: 6, pairs: 3, cellsPerCondition: 5, controlCells: 9 })
    // unequal cell counts, so pooling cells differs from averaging condition means
    data.conditions[2] = { ...data.conditions[2], cells: data.conditions[2].cells.slice(0, 2) }
    const train = ['ctrl', data.conditions[1].condition, data.conditions[2].condition, data.conditions[7].condition]
    const G = data.genes.length
    const x = data.expression
    const cells = [1, 2, 7].flatMap((i) => Array.from(data.conditions[i].cells))
    const expected = new Float64Array(G)
    for (const r of cells) for (let e = x.indptr[r]; e < x.indptr[r + 1]; e++) expected[x.indices[e]] += x.data[e] / cells.length
    const pbar = perturbedTrainingMean(data, train)!
    expect(pbar).toHaveLength(G)
    pbar.forEach((v, g) => expect(v).toBeCloseTo(expected[g], 5))
    expect(perturbedTrainingMean(data, ['ctrl'])).toBeNull()
    expect(perturbedTrainingMean(data, [])).toBeNull()

    const names = data.conditions.slice(3, 6).map((c) => c.condition)
    const preds = new Map(names.map((n, i) => [n, Float32Array.from(data.controlMean, (v, g) => v + 0.2 * Math.sin(g + i))]))
    const withP = evaluatePredictions(data, names, preds, {}, undefined, pbar)
    for (const n of names) {
      const t = conditionTruth(data, data.conditions.findIndex((c) => c.condition === n))
      const dp = Array.from(preds.get(n)!, (v, g) => v - pbar[g])
      const dt = Array.from(t.mean, (v, g) => v - pbar[g])
      expect(withP.perCondition[n].pearson_delta_centroid).toBeCloseTo(pearson(dp, dt), 6)
    }
    expect(Number.isFinite(withP.overall.pearson_delta_centroid)).toBe(true)
    // without p̄ the metric is left out (NaN), the others unchanged
    const without = evaluatePredictions(data, names, preds, {})
    expect(without.overall.pearson_delta_centroid).toBeNaN()
    expect(without.overall.pearson_delta).toBe(withP.overall.pearson_delta)
  })
})
