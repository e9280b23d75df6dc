import { describe, expect, it } from 'vitest'
import type { GiScores, PairGi } from '../contract/channels/design'
import { GI_DEFAULTS } from '../domain/gi-thresholds'
import type { PredictionSource } from '../contract/channels/predictions'
import { divergingStops, giHeatmap, scoreMatrix } from './design-heatmap'
import { predictedVsObserved } from './design-scatter'

const scores = (mag: number, c1 = 1, c2 = 1): GiScores => ({ c1, c2, mag, magRelative: mag / Math.SQRT2, corr_fit: 0.9, dcor: 0.9, dcor_singles: 0.2, singles_cos: 0.3, dcor_first: 0.7, dcor_second: 0.6, dominance: 0.1, eq_contr: 0.8, genes: 100 })
const pair = (a: string, b: string, s: GiScores | null, observed: GiScores | null = null): PairGi => ({
  condition: `${a}+${b}`,
  genes: [{ gene: a, status: 'seen-single' }, { gene: b, status: 'seen-single' }],
  seen: 2,
  scores: s,
  call: null,
  uncertainty: null,
  observed: observed ? { scores: observed, call: { type: 'synergy', criteria: [] } } : null,
})
const source = { runId: 3, runName: null, model: 'gears', trainingSeed: 1, datasetName: 'demo', datasetId: 1, knowledgeRelease: 'kb', appVersion: '0.1.0' } as PredictionSource
const geneList = ['A', 'B', 'C', 'D'].map((gene) => ({ gene, status: 'seen-single' as const }))

describe('GI heatmap', () => {
  const map = {
    mapId: 1,
    origin: 'typed',
    geneList,
    settings: { thresholds: GI_DEFAULTS.thresholds, expressionThreshold: 0.5, maxSubsamples: 1e5, seed: 1000 },
    source,
    pairs: [pair('A', 'B', scores(2.5, 2, 1.5)), pair('A', 'C', scores(0.5)), pair('B', 'C', scores(1.4)), pair('C', 'D', null)],
  }

  it('fills a symmetric matrix, c1 read from the first gene’s row and c2 from the other’s, blank where no pair', () => {
    const mag = scoreMatrix(map, 'mag')
    expect(mag[0][1]).toBe(2.5)
    expect(mag[1][0]).toBe(2.5)
    expect(mag[2][3]).toBeNaN()
    expect(mag[0][0]).toBeNaN()
    const c1 = scoreMatrix(map, 'c1')
    expect([c1[0][1], c1[1][0]]).toEqual([2, 1.5])
  })

  it('draws one cell per scored pair and side, white at the additive magnitude', () => {
    const h = giHeatmap(map, { score: 'mag', order: 'alphabetical' })
    expect(h.genes).toEqual(['A', 'B', 'C', 'D'])
    const series = (h.option.series as { data: number[][] }[])[0]
    expect(series.data).toHaveLength(6)
    expect(h.range).toEqual([0.5, 2.5])
    const stops = divergingStops(0.5, 2.5, Math.SQRT2, 41)
    const at = Math.round(((Math.SQRT2 - 0.5) / 2) * 40)
    expect(stops[at]).toMatch(/^#f[0-9a-f]f[0-9a-f]f[0-9a-f]$/)
    expect(stops[0]).toBe('#2f6fde')
    expect(stops[40]).toBe('#c2352b')
  })

  it('prints each cell’s value, titles the colour bar and hatches the cells with no pair apart from the scale', () => {
    const h = giHeatmap(map, { score: 'mag', order: 'alphabetical' })
    const [cells, noPair] = h.option.series as { type: string; label?: { show: boolean; formatter: (p: { value: number[] }) => string }; data: number[][] }[]
    expect(cells.label?.show).toBe(true)
    expect(cells.label!.formatter({ value: [0, 1, 2.5, 2.5] })).toBe('2.50')
    // the diagonal (4 cells), A+D and B+D (not in the map) and C+D (its fit failed), 2 cells each: hatched, outside the colour scale
    expect(noPair.type).toBe('custom')
    expect(noPair.data).toHaveLength(10)
    expect(noPair.data).toContainEqual([2, 3])
    const vm = h.option.visualMap as { seriesIndex: number; text: string[] }
    expect(vm.seriesIndex).toBe(0)
    expect(vm.text).toEqual(['2.5 stronger', '0.5 weaker'])
    expect((h.option.title as { text: string }[]).map((t) => t.text)).toContain('GI magnitude')
    expect((h.option.title as { subtext?: string }[])[0].subtext).toContain('hatched grey: no pair')
    // a map too large to read values in its cells prints none
    const many = Array.from({ length: 21 }, (_, i) => ({ gene: `G${i}`, status: 'seen-single' as const }))
    const big = giHeatmap({ ...map, geneList: many, pairs: many.slice(1).map((g) => pair('G0', g.gene, scores(1.5))) })
    expect((big.option.series as { label?: { show: boolean } }[])[0].label?.show).toBe(false)
  })

  it('colours a map whose every pair is exactly additive white, not an end of the scale', () => {
    const flat = { ...map, pairs: [pair('A', 'B', scores(Math.SQRT2)), pair('A', 'C', scores(Math.SQRT2))] }
    const h = giHeatmap(flat, { score: 'mag' })
    expect(h.range[0]).toBeLessThan(Math.SQRT2)
    expect(h.range[1]).toBeGreaterThan(Math.SQRT2)
    const stops = ((h.option.visualMap as { inRange: { color: string[] } }).inRange.color)
    expect(stops[20]).toMatch(/^#f[0-9a-f]f[0-9a-f]f[0-9a-f]$/)
  })

  it('leaves out a gene the scope left without any pair, and says so', () => {
    const withUnpaired = { ...map, geneList: [...geneList, { gene: 'E', status: 'unseen-in-knowledge' as const }] }
    for (const order of ['given', 'alphabetical', 'clustered'] as const) {
      const h = giHeatmap(withUnpaired, { score: 'mag', order })
      expect([...h.genes].sort()).toEqual(['A', 'B', 'C', 'D'])
      const title = (h.option.title as { subtext?: string }[])[0].subtext
      expect(title).toContain('4 genes (typed; 1 with no pair in scope not drawn)')
    }
    // a pair that was predicted but could not be scored still keeps its genes (D, via C+D)
    expect(giHeatmap(map, { score: 'mag' }).genes).toContain('D')
  })

  it('spans the colours over the 1st–99th percentile when a few pairs are extreme, keeping every value for the tooltip', () => {
    const genes = Array.from({ length: 15 }, (_, i) => `G${String(i).padStart(2, '0')}`)
    const pairs: PairGi[] = []
    for (let i = 0; i < genes.length; i++) for (let j = i + 1; j < genes.length; j++) pairs.push(pair(genes[i], genes[j], scores(i === 0 && j === 1 ? 22 : 1 + ((i * 7 + j * 3) % 10) / 10)))
    const h = giHeatmap({ ...map, geneList: genes.map((gene) => ({ gene, status: 'seen-single' as const })), pairs }, { score: 'mag' })
    expect(h.extent).toEqual([1, 22])
    expect(h.range[1]).toBeLessThanOrEqual(2)
    const data = (h.option.series as { data: number[][] }[])[0].data
    const outlier = data.filter((d) => d[3] === 22)
    expect(outlier).toHaveLength(2)
    for (const d of outlier) expect(d[2]).toBe(h.range[1])
    expect((h.option.title as { subtext: string }[])[0].subtext).toContain('1st–99th percentile (all values 1 to 22)')
    // few cells: the full range, nothing clipped
    expect(giHeatmap(map, { score: 'mag' }).range).toEqual([0.5, 2.5])
  })
})

describe('predicted vs observed', () => {
  it('plots the pairs with both scores and reports their correlation', () => {
    const m = { source, pairs: [pair('A', 'B', scores(2), scores(2.2)), pair('A', 'C', scores(1), scores(0.9)), pair('B', 'C', scores(3), scores(3.1)), pair('C', 'D', scores(1))] }
    const f = predictedVsObserved(m, 'mag')
    expect(f.points.map((p) => p.condition)).toEqual(['A+B', 'A+C', 'B+C'])
    expect(f.pearson).toBeGreaterThan(0.95)
  })
})
