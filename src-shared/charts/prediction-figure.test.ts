import { describe, expect, it } from 'vitest'
import type { ConditionPrediction, PredictionSource } from '../contract/channels/predictions'
import { boxStats, topByMagnitude } from '../domain/statistics'
import { deFigure, predictionFigure, topChangesFigure } from './prediction-figure'

const source: PredictionSource = {
  runId: 3,
  runName: null,
  model: 'gears',
  trainingSeed: 1,
  bestEpoch: 1,
  projectId: 1,
  datasetId: 1,
  datasetName: 'small',
  knowledgeRelease: 'R1',
  appVersion: '0.1.0',
  base: 'control-mean',
  controlCells: 300,
  controlCellsUsed: 1000,
  seed: 1,
  genes: ['G0', 'G1', 'G2', 'G3'],
  controlMean: [1, 1, 1, 1],
  createdAt: '2026-01-01T00:00:00.000Z',
}

const measured: ConditionPrediction = {
  predictionId: null,
  condition: 'G0+G1',
  flags: [
    { gene: 'G0', status: 'seen-single' },
    { gene: 'G1', status: 'seen-combo' },
  ],
  mean: [0.5, 1.2, 1, 3],
  change: [-0.5, 0.2, 0, 2],
  sd: [0.1, 0.2, 0.3, 0.4],
  measured: {
    cells: 5,
    subset: 'test',
    testGroup: 'combo_seen2',
    observedChange: [-0.4, 0.1, 0, 1.5],
    de: { genes: ['G3', 'G0'], index: [3, 0], cellChanges: [[1, 2, 1.5, 1.4, 1.6], [-1, -0.5, 0, -0.2, -0.3]] },
    metrics: {} as never,
    storedMetrics: null,
  },
}

type Series = { type: string; name: string; data: unknown[]; markLine?: { data: unknown[] } }

describe('prediction figures', () => {
  it('computes box stats with quartiles and whiskers within 1.5 IQR (outliers beyond them are not drawn)', () => {
    expect(boxStats([1, 2, 3, 4, 5])).toEqual([1, 2, 3, 4, 5])
    // Quartiles 2.25 and 4.75 (IQR 2.5): 100 lies beyond 4.75 + 3.75, so the upper whisker stops at 5.
    expect(boxStats([1, 2, 3, 4, 5, 100])).toEqual([1, 2.25, 3.5, 4.75, 5])
    expect(boxStats([])).toEqual([NaN, NaN, NaN, NaN, NaN])
  })

  it('draws the GEARS view: observed boxes per DE gene, predicted change as red dots, dashed zero line, ± 1 SD bars', () => {
    const fig = deFigure(source, measured)
    expect(fig.view).toBe('de')
    expect(fig.genes).toEqual(['G3', 'G0'])
    const [box, dots] = fig.option.series as Series[]
    expect(box.type).toBe('boxplot')
    expect(box.data).toEqual([boxStats([1, 2, 1.5, 1.4, 1.6]), boxStats([-1, -0.5, 0, -0.2, -0.3])])
    expect(dots.type).toBe('scatter')
    expect(dots.name).toBe('Predicted (± 1 SD)')
    expect(dots.data).toEqual([['G3', 2], ['G0', -0.5]])
    const lines = dots.markLine!.data as unknown[]
    expect(lines[0]).toMatchObject({ yAxis: 0, lineStyle: { type: 'dashed' } })
    expect(lines.slice(1)).toEqual([
      [expect.objectContaining({ coord: ['G3', 1.6] }), { coord: ['G3', 2.4] }],
      [expect.objectContaining({ coord: ['G0', -0.6] }), { coord: ['G0', -0.4] }],
    ])
    const titles = fig.option.title as { text: string; bottom?: number }[]
    expect(titles[0].text).toBe('G0+G1 — gears, run 3')
    expect(titles[1].text).toContain('dataset small (#1)')
    expect(titles[1].text).toContain('Perturb Studio 0.1.0')
    expect(fig.option.legend).toBeDefined()
  })

  it('draws the top changes by |change| for any condition, without error bars when the run has no uncertainty', () => {
    const unmeasured = { ...measured, sd: null, measured: null }
    expect(topByMagnitude(unmeasured.change, 3)).toEqual([3, 0, 1])
    const fig = predictionFigure(source, unmeasured, 'auto', { topN: 3 })
    expect(fig.view).toBe('top')
    expect(fig.genes).toEqual(['G3', 'G0', 'G1'])
    const [up, down, ...rest] = fig.option.series as Series[]
    // Increases red, decreases blue, each its own legend entry; one bar per gene between them.
    expect([up.type, down.type]).toEqual(['bar', 'bar'])
    expect((up.data as (number | null)[]).every((v, i) => (v === null) !== ((down.data as (number | null)[])[i] === null))).toBe(true)
    expect(up.markLine!.data).toHaveLength(1)
    expect(rest.map((r) => r.name)).toEqual(['Control (no change)'])
    expect(() => predictionFigure(source, unmeasured, 'de')).toThrow(/not measured/)
    // Measured: the observed mean change is drawn beside the bars.
    const withObserved = topChangesFigure(source, measured, { topN: 2 })
    expect((withObserved.option.series as Series[])[2].data).toEqual([['G3', 1.5], ['G0', -0.4]])
  })
})
