import { describe, expect, it } from 'vitest'
import { fitBaselines, fitLine, fittedFromRecord, fittedRecord, predictBaseline } from './baselines'
import { rowsMean } from './expression'
import { makeSplit } from './splits'
import { tinyScreen } from '../test-support/tiny-screen'

describe('baselines', () => {
  const data = tinyScreen({ singles: 10, pairs: 12, genes: 30 })
  const split = makeSplit(data.conditions, { kind: 'simulation', seed: 3 })
  const fitted = fitBaselines(data, split)
  const byName = new Map(data.conditions.map((c) => [c.condition, c]))
  const delta = (name: string) => {
    const m = rowsMean(data.expression, byName.get(name)!.cells)
    return Float32Array.from(m, (v, g) => v - data.controlMean[g])
  }
  const trainPerturbed = split.train.filter((c) => c !== 'ctrl')

  it('no_perturb predicts the control mean', () => {
    expect(predictBaseline('no_perturb', fitted, ['G1'])).toEqual(data.controlMean)
  })

  it('train_mean adds the mean Δ over training conditions', () => {
    const expected = new Float64Array(data.genes.length)
    for (const c of trainPerturbed) delta(c).forEach((v, g) => (expected[g] += v / trainPerturbed.length))
    const pred = predictBaseline('train_mean', fitted, ['G1', 'G2'])
    pred.forEach((v, g) => expect(v).toBeCloseTo(data.controlMean[g] + expected[g], 5))
  })

  it('additive sums the two singles when both are seen, else falls back to train_mean', () => {
    const singles = trainPerturbed.filter((c) => byName.get(c)!.genes.length === 1).map((c) => byName.get(c)!.genes[0])
    const [a, b] = singles
    const da = delta(`${a}+ctrl`)
    const db = delta(`${b}+ctrl`)
    const pred = predictBaseline('additive', fitted, [a, b])
    // The sum, floored at 0 (a mean expression; two knockdowns of one gene can overshoot it).
    pred.forEach((v, g) => expect(v).toBeCloseTo(Math.max(0, data.controlMean[g] + da[g] + db[g]), 5))
    expect(Array.from(data.controlMean).some((c, g) => c + da[g] + db[g] < 0), 'the tiny screen has a gene the raw sum drives below 0').toBe(true)
    const unseen = data.conditions.map((c) => c.genes).find((g) => g.length === 1 && !singles.includes(g[0]))!
    expect(predictBaseline('additive', fitted, [a, unseen[0]])).toEqual(predictBaseline('train_mean', fitted, [a, unseen[0]]))
  })

  it('train_mean_self fits the self-effect link on training singles only', () => {
    // The tiny screen removes 80 % of a target's expression: α near −0.8 relative to the control mean.
    const [alpha, beta] = fitted.selfEffect
    expect(alpha).toBeLessThan(-0.5)
    expect(Math.abs(beta)).toBeLessThan(0.6)
    const pred = predictBaseline('train_mean_self', fitted, ['G7'])
    const tm = predictBaseline('train_mean', fitted, ['G7'])
    pred.forEach((v, g) => expect(v).toBeCloseTo(g === 7 ? tm[g] + alpha * data.controlMean[g] + beta : tm[g], 5))
  })

  it('fits a line in closed form and round-trips through the stored record', () => {
    const [a, b] = fitLine([0, 1, 2, 3], [1, 3, 5, 7])
    expect(a).toBeCloseTo(2, 12)
    expect(b).toBeCloseTo(1, 12)
    expect(fitLine([2, 2], [1, 3])).toEqual([0, 2])
    const back = fittedFromRecord(fittedRecord(fitted), data)
    expect(predictBaseline('additive', back, ['G1', 'G2'])).toEqual(predictBaseline('additive', fitted, ['G1', 'G2']))
    expect(predictBaseline('train_mean_self', back, ['G3'])).toEqual(predictBaseline('train_mean_self', fitted, ['G3']))
  })
})
