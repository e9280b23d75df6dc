/**
 * The cell map: one point per embedded cell, PCA or UMAP, coloured by condition. With many
 * conditions only the `top` largest are coloured and the rest share one grey; control cells are
 * drawn in a dark slate so they stand out. Plain data in, ECharts option out (ScatterChart,
 * GridComponent, LegendComponent, TooltipComponent, TitleComponent).
 */
import type { EChartsOption } from 'echarts'
import type { CellsEmbedding } from '../contract/channels/cells'
import { conditionLabel } from '../domain/conditions'

/** Ten colours that stay apart on white (Tableau 10 without its grey). */
export const CONDITION_COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#6b3fa0']
export const CONTROL_COLOUR = '#1f2937'
export const OTHER_COLOUR = '#cfd5dd'

export interface CellsLegendEntry {
  name: string
  colour: string
  cells: number
  conditions: string[]
}

/** Which conditions get a colour: control, then the `top` perturbations with most cells, then the rest as one group. */
export function cellsGroups(e: Pick<CellsEmbedding, 'conditions'>, top = CONDITION_COLOURS.length): { groupOf: number[]; groups: CellsLegendEntry[] } {
  const groups: CellsLegendEntry[] = []
  const groupOf: number[] = []
  let coloured = 0
  let other: CellsLegendEntry | null = null
  e.conditions.forEach((c) => {
    if (c.control) {
      groupOf.push(groups.length)
      groups.push({ name: 'control cells', colour: CONTROL_COLOUR, cells: c.cells, conditions: [c.condition] })
    } else if (coloured < top) {
      groupOf.push(groups.length)
      groups.push({ name: conditionLabel(c.condition), colour: CONDITION_COLOURS[coloured++ % CONDITION_COLOURS.length], cells: c.cells, conditions: [c.condition] })
    } else {
      if (!other) {
        other = { name: '', colour: OTHER_COLOUR, cells: 0, conditions: [] }
        groups.push(other)
      }
      groupOf.push(groups.indexOf(other))
      other.cells += c.cells
      other.conditions.push(c.condition)
    }
  })
  const rest = other as CellsLegendEntry | null
  if (rest) rest.name = `${rest.conditions.length} other conditions`
  return { groupOf, groups }
}

export function cellsScatterOption(e: CellsEmbedding, which: 'pca' | 'umap', options: { top?: number; title?: string } = {}): EChartsOption {
  const { groupOf, groups } = cellsGroups(e, options.top)
  const xy = which === 'pca' ? e.pca : e.umap
  const points: [number, number, number][][] = groups.map(() => [])
  e.condition.forEach((c, i) => points[groupOf[c]].push([xy[2 * i], xy[2 * i + 1], c]))
  const axis = which === 'pca' ? ['PC1', 'PC2'].map((pc, k) => `${pc} (${(e.explained[k] * 100).toFixed(1)} % of variance)`) : ['UMAP 1', 'UMAP 2']
  const size = e.cells > 3000 ? 3 : e.cells > 1000 ? 4 : 5
  // Grey first (underneath), then control, then the coloured conditions on top.
  const drawOrder = groups.map((_, i) => i).sort((a, b) => rank(groups[a]) - rank(groups[b]))
  return {
    animation: false,
    title: options.title ? { text: options.title, left: 'center', top: 0, textStyle: { fontSize: 13, fontWeight: 600 } } : undefined,
    grid: { left: 48, right: 190, top: options.title ? 32 : 12, bottom: 44 },
    tooltip: {
      trigger: 'item',
      formatter: (p: unknown) => {
        const d = (p as { data: [number, number, number] }).data
        return `${conditionLabel(e.conditions[d[2]].condition)}`
      },
    },
    legend: {
      type: 'scroll',
      orient: 'vertical',
      right: 4,
      top: options.title ? 32 : 12,
      bottom: 12,
      itemWidth: 10,
      itemHeight: 10,
      textStyle: { fontSize: 11.5 },
      data: groups.map((g) => ({ name: g.name, itemStyle: { color: g.colour } })),
      formatter: (name: string) => {
        const g = groups.find((x) => x.name === name)
        return g ? `${name}  ${g.cells.toLocaleString('en')}` : name
      },
    },
    xAxis: { type: 'value', name: axis[0], nameLocation: 'middle', nameGap: 26, scale: true, axisLine: { onZero: false }, axisLabel: { show: false }, axisTick: { show: false }, splitLine: { show: false } },
    yAxis: { type: 'value', name: axis[1], nameLocation: 'middle', nameGap: 14, scale: true, axisLine: { onZero: false }, axisLabel: { show: false }, axisTick: { show: false }, splitLine: { show: false } },
    series: drawOrder.map((gi) => ({
      type: 'scatter',
      name: groups[gi].name,
      data: points[gi],
      symbolSize: size,
      large: points[gi].length > 2000,
      itemStyle: { color: groups[gi].colour, opacity: groups[gi].colour === OTHER_COLOUR ? 0.7 : 0.85 },
      emphasis: { focus: 'series' },
      z: 2 + rank(groups[gi]),
    })),
  }
}

function rank(g: CellsLegendEntry): number {
  return g.colour === OTHER_COLOUR ? 0 : g.colour === CONTROL_COLOUR ? 1 : 2
}
