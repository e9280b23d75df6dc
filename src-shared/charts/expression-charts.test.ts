import { describe, expect, it } from 'vitest'
import type { ConditionPrediction, DeHeatmap } from '../contract'
import { deHeatmapOption, heatmapRange } from './de-heatmap'
import { predictionScatter, SUM_OF_SINGLES } from './prediction-scatter'
import { volcanoFigure, volcanoRange } from './volcano'

const gene = (g: string, lfc: number, p: number) => ({ gene: g, log2FoldChange: lfc, pValue: p / 10, pAdjusted: p })

describe('volcanoFigure', () => {
  const genes = [gene('STAT1', -3, 1e-140), gene('IRF1', -1.2, 1e-20), gene('UP1', 0.9, 1e-5), gene('SMALL', 0.2, 1e-8), gene('NS', 2, 0.2), gene('ZERO', -25, 1e-30), gene('UNDER', -1, 0)]
  it('colours only genes past both cuts, names the strongest and the target, and keeps the −25 artefacts at the axis edge', () => {
    const f = volcanoFigure('STAT1+ctrl', genes, { highlight: ['STAT1'], labels: 2 })
    expect(f.up).toBe(1) // UP1; SMALL is below the fold cut, NS above the p cut
    expect(f.down).toBe(4) // STAT1, IRF1, ZERO, UNDER
    expect(f.labelled).toContain('STAT1')
    const x = f.option.xAxis as { max: number; min: number }
    expect(x.max).toBe(volcanoRange(genes.map((g) => g.log2FoldChange), 0.5))
    expect(x.max).toBeLessThan(5)
    const series = f.option.series as { name: string; data: { name: string; value: number[]; symbol?: string }[] }[]
    const zero = series.flatMap((s) => s.data).find((d) => d.name === 'ZERO')!
    expect(zero.value[0]).toBe(x.min)
    expect(zero.symbol).toBe('triangle')
    // adjusted p of 0 (underflow) is drawn at the top, not at infinity
    const under = series.flatMap((s) => s.data).find((d) => d.name === 'UNDER')!
    expect(Number.isFinite(under.value[1])).toBe(true)
    expect(under.value[1]).toBeGreaterThanOrEqual(140)
  })

  it('follows a stricter fold-change cut', () => {
    expect(volcanoFigure('STAT1+ctrl', genes, { log2FoldChange: 2 }).down).toBe(2) // STAT1, ZERO
  })
})

describe('deHeatmapOption', () => {
  it('keeps the clustered order and sets a symmetric colour range that ignores the ±25 artefacts', () => {
    const h: DeHeatmap = {
      datasetId: 1,
      conditions: ['JAK2+ctrl', 'STAT1+ctrl'],
      genes: ['STAT1', 'FUZ'],
      values: [
        [-1.5, 0.1],
        [-3, -25],
      ],
      pAdjusted: [
        [1e-10, 0.5],
        [1e-100, 1e-9],
      ],
      method: '',
      conditionsLeftOut: 0,
    }
    expect(heatmapRange(h.values)).toBeLessThanOrEqual(3)
    const { option, range } = deHeatmapOption(h)
    expect((option.yAxis as { data: string[] }).data).toEqual(['JAK2', 'STAT1'])
    expect((option.visualMap as { min: number; max: number }).min).toBe(-range)
  })
})

describe('predictionScatter', () => {
  const result = { genes: ['A', 'B', 'C', 'D'] }
  const base: ConditionPrediction = {
    predictionId: null,
    condition: 'A+B',
    flags: [],
    mean: [0, 0, 0, 0],
    change: [1, -1, 0.5, 0],
    sd: null,
    measured: { cells: 10, subset: 'test', testGroup: null, observedChange: [2, -2, 1, 0.1], de: { genes: ['A', 'B', 'C'], index: [0, 1, 2], cellChanges: [] }, metrics: {} as never, storedMetrics: null },
    additiveChange: [0.5, 0.5, 0.5, 0.5],
  }
  it('is null for a condition nobody measured', () => {
    expect(predictionScatter(result, { ...base, measured: null })).toBeNull()
  })
  it('compares the model and the sum of singles with the observation', () => {
    const s = predictionScatter(result, base)!
    expect(s.summary.r).toBeCloseTo(1, 2)
    expect(s.summary.rAdditive).toBeNull() // the sum of singles is constant here: no correlation
    const names = (s.option.series as { name: string }[]).map((x) => x.name)
    expect(names).toContain(SUM_OF_SINGLES)
    expect(names).toContain('Top 3 DE genes')
  })
})
