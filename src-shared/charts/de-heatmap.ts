/**
 * Condition × gene heatmap of the top DE genes (log2 fold change vs control, blue = down, red =
 * up), in the clustered order the core computed (`DeHeatmap`). Plain data in, ECharts option out.
 * The screen registers: HeatmapChart, GridComponent, VisualMapComponent, TooltipComponent.
 */
import type { EChartsOption } from 'echarts'
import type { DeHeatmap } from '../contract/datasets'
import { ARTEFACT_LFC } from '../domain/differential-expression'
import { conditionLabel } from '../domain/conditions'
import { figureColors } from './prediction-figure'
import { formatPValue } from '../domain/p-value'

/**
 * The colour scale's end: the 98th percentile of |log2 fold change|, at least 0.5, at most 4, so
 * one knocked-out target does not wash out the rest (values of genes one group does not express at
 * all, about ±25, are left out of the percentile and drawn at the ends).
 */
export function heatmapRange(values: number[][]): number {
  const abs = values
    .flat()
    .filter((v) => Number.isFinite(v) && Math.abs(v) < ARTEFACT_LFC)
    .map(Math.abs)
    .sort((a, b) => a - b)
  if (!abs.length) return 1
  const q = abs[Math.min(abs.length - 1, Math.floor(0.98 * (abs.length - 1)))]
  return Number(Math.min(4, Math.max(0.5, q)).toPrecision(2))
}

export function deHeatmapOption(h: DeHeatmap, options: { title?: string } = {}): { option: EChartsOption; range: number } {
  const range = heatmapRange(h.values)
  const rows = h.conditions.map((c) => conditionLabel(c))
  const data: [number, number, number][] = []
  h.values.forEach((row, r) => row.forEach((v, g) => data.push([g, r, v])))
  const option: EChartsOption = {
    animation: false,
    backgroundColor: '#ffffff',
    title: options.title ? { text: options.title, left: 'center', top: 4, textStyle: { fontSize: 15 } } : undefined,
    tooltip: {
      position: 'top',
      formatter: (p: unknown) => {
        const [g, r, v] = (p as { value: [number, number, number] }).value
        const absent = Math.abs(v) >= ARTEFACT_LFC ? (v < 0 ? ' (not expressed in these cells)' : ' (not expressed in control)') : ''
        return `<strong>${h.genes[g]}</strong> in ${rows[r]}<br/>log2 fold change ${v.toFixed(2)}${absent}<br/>adjusted p ${formatPValue(h.pAdjusted[r][g])}`
      },
    },
    grid: { left: 8, right: 16, top: options.title ? 40 : 12, bottom: 64, containLabel: true },
    xAxis: { type: 'category', data: h.genes, axisLabel: { rotate: 90, fontSize: 10, interval: 0 }, axisTick: { show: false }, splitArea: { show: false } },
    yAxis: { type: 'category', data: rows, inverse: true, axisLabel: { fontSize: 11, interval: 0 }, axisTick: { show: false } },
    visualMap: {
      type: 'continuous',
      min: -range,
      max: range,
      calculable: false,
      orient: 'horizontal',
      left: 'center',
      bottom: 0,
      itemHeight: 180,
      itemWidth: 12,
      text: [`up (+${range})`, `down (−${range})`],
      textStyle: { fontSize: 11, color: figureColors.caption },
      inRange: { color: [figureColors.down, '#9dbcf0', '#ffffff', '#f0a9a3', figureColors.up] },
    },
    series: [{ type: 'heatmap', data, itemStyle: { borderColor: '#ffffff', borderWidth: 0.5 }, emphasis: { itemStyle: { borderColor: '#111827', borderWidth: 1 } } }],
  }
  return { option, range }
}
