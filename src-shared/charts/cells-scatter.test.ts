import { describe, expect, it } from 'vitest'
import type { CellsEmbedding } from '../contract/channels/cells'
import { cellsGroups, cellsScatterOption, CONTROL_COLOUR, OTHER_COLOUR } from './cells-scatter'
import { divergingColour, niceMax, textOn } from './diverging-scale'

const conditions = [
  { condition: 'ctrl', cells: 50, control: true },
  ...Array.from({ length: 14 }, (_, i) => ({ condition: `G${i}+ctrl`, cells: 40 - i, control: false })),
]

describe('the cell map colours', () => {
  it('shows control dark, the ten largest perturbations in colour and the rest as one grey group', () => {
    const { groups, groupOf } = cellsGroups({ conditions })
    expect(groups[0]).toMatchObject({ name: 'control cells', colour: CONTROL_COLOUR, cells: 50 })
    expect(groups.slice(1, 11).map((g) => g.name)).toEqual(Array.from({ length: 10 }, (_, i) => `G${i}`))
    expect(new Set(groups.slice(1, 11).map((g) => g.colour)).size).toBe(10)
    expect(groups[11]).toMatchObject({ name: '4 other conditions', colour: OTHER_COLOUR, cells: 27 + 28 + 29 + 30 })
    expect(groupOf.slice(11)).toEqual([11, 11, 11, 11])
  })

  it('draws every cell once, the grey group underneath, with a legend entry per group', () => {
    const e = { conditions, condition: [0, 1, 14, 3], pca: [0, 1, 2, 3, 4, 5, 6, 7], umap: [1, 1, 2, 2, 3, 3, 4, 4], explained: [0.2, 0.1], cells: 4 } as unknown as CellsEmbedding
    const option = cellsScatterOption(e, 'umap') as { series: { name: string; data: number[][] }[]; legend: { data: { name: string }[] } }
    expect(option.series.reduce((n, s) => n + s.data.length, 0)).toBe(4)
    expect(option.series[0].name).toBe('4 other conditions')
    expect(option.series[0].data).toEqual([[3, 3, 14]])
    expect(option.legend.data.map((d) => d.name)[0]).toBe('control cells')
    const pca = cellsScatterOption(e, 'pca') as { xAxis: { name: string } }
    expect(pca.xAxis.name).toBe('PC1 (20.0 % of variance)')
  })
})

describe('the diverging scale', () => {
  it('is white at 0, red up, blue down, saturated at the ends', () => {
    expect(divergingColour(0, 1)).toBe('#ffffff')
    expect(divergingColour(1, 1)).toBe('#c2352b')
    expect(divergingColour(-5, 1)).toBe('#2f6fde')
    const half = divergingColour(0.5, 1)
    expect(parseInt(half.slice(1, 3), 16)).toBeGreaterThan(parseInt(half.slice(5, 7), 16))
    expect(textOn(0.9, 1)).toBe('#ffffff')
    expect(textOn(0.1, 1)).toBe('#1f2937')
  })

  it('rounds the bar to a readable half-range', () => {
    expect(niceMax(0.37)).toBe(0.5)
    expect(niceMax(1.9)).toBe(2)
    expect(niceMax(0.05)).toBe(0.05)
    expect(niceMax(2.2)).toBe(2.5)
  })
})
