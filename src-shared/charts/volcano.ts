/**
 * Volcano plot of one condition vs control: log2 fold change (x) against −log10 adjusted p (y),
 * dashed lines at the cuts (adjusted p and ± log2 fold change), genes past both cuts in red (up)
 * or blue (down), the rest grey, and the strongest genes labelled by name. Plain data in, ECharts
 * option out. The screen registers: ScatterChart, GridComponent, MarkLineComponent,
 * TooltipComponent, LegendComponent, TitleComponent and the LabelLayout feature.
 */
import type { EChartsOption } from 'echarts'
import type { DeTestResult } from '../contract/datasets'
import { ARTEFACT_LFC, DE_SIGNIFICANCE } from '../domain/differential-expression'
import { conditionLabel } from '../domain/conditions'
import { figureColors } from './prediction-figure'
import { formatPValue } from '../domain/p-value'

export interface VolcanoOptions {
  /** |log2 fold change| cut (default DE_SIGNIFICANCE.log2FoldChange) */
  log2FoldChange?: number
  /** adjusted p cut (default DE_SIGNIFICANCE.pAdjusted) */
  pAdjusted?: number
  /** how many of the strongest DE genes get their name on the plot */
  labels?: number
  /** genes always labelled (the perturbed genes themselves) */
  highlight?: string[]
  title?: string
}

export type VolcanoClass = 'up' | 'down' | 'none'

export interface VolcanoPoint {
  gene: string
  x: number
  /** −log10 adjusted p, capped at `cap` where p underflowed to 0 */
  y: number
  capped: boolean
  cls: VolcanoClass
}

export interface VolcanoFigure {
  option: EChartsOption
  points: VolcanoPoint[]
  up: number
  down: number
  labelled: string[]
}

const GREY = '#b8c0cc'

export function volcanoPoints(genes: readonly DeTestResult[], lfcCut: number, pCut: number): { points: VolcanoPoint[]; cap: number } {
  const ys = genes.map((g) => -Math.log10(g.pAdjusted))
  const finite = ys.filter((y) => Number.isFinite(y))
  const top = finite.length ? Math.max(...finite) : 1
  // p-values below ~1e-308 are 0 in doubles: draw them just above the highest finite point.
  const cap = Math.max(1, top * 1.05)
  const points = genes
    .map((g, i) => {
      const capped = !Number.isFinite(ys[i])
      const y = capped ? (Number.isNaN(ys[i]) ? 0 : cap) : ys[i]
      const sig = g.pAdjusted < pCut && Math.abs(g.log2FoldChange) >= lfcCut
      const cls: VolcanoClass = !sig ? 'none' : g.log2FoldChange > 0 ? 'up' : 'down'
      return { gene: g.gene, x: g.log2FoldChange, y, capped, cls }
    })
    .filter((p) => Number.isFinite(p.x))
  return { points, cap }
}

const r4 = (v: number) => Number(v.toPrecision(4))

/**
 * Half the x axis: 1.1 × the largest |log2 fold change| below 10, at least twice the cut, rounded
 * up to a half. A 1,000-fold change in Perturb-seq is, in practice, a gene no cell of one group
 * expresses (scanpy's 1e-9 pseudo-count gives it about ±25): such genes are drawn at the edge.
 */
export function volcanoRange(xs: number[], lfcCut: number): number {
  const real = xs.map(Math.abs).filter((x) => x < ARTEFACT_LFC)
  return Math.ceil(Math.max(lfcCut * 2, ...real.map((x) => x * 1.1)) * 2) / 2
}

export function volcanoFigure(condition: string, genes: readonly DeTestResult[], options: VolcanoOptions = {}): VolcanoFigure {
  const lfcCut = options.log2FoldChange ?? DE_SIGNIFICANCE.log2FoldChange
  const pCut = options.pAdjusted ?? DE_SIGNIFICANCE.pAdjusted
  const { points } = volcanoPoints(genes, lfcCut, pCut)
  const highlight = new Set(options.highlight ?? [])
  const strongest = points
    .filter((p) => p.cls !== 'none')
    .sort((a, b) => b.y - a.y || Math.abs(b.x) - Math.abs(a.x))
    .slice(0, options.labels ?? 12)
    .map((p) => p.gene)
  const labelled = new Set([...strongest, ...points.filter((p) => highlight.has(p.gene)).map((p) => p.gene)])
  const byGene = new Map(genes.map((g) => [g.gene, g]))
  const data = (cls: VolcanoClass) =>
    points
      .filter((p) => p.cls === cls)
      .map((p) => ({
        name: p.gene,
        value: [r4(Math.max(-xMax, Math.min(xMax, p.x))), r4(p.y)],
        ...(Math.abs(p.x) > xMax ? { symbol: 'triangle', symbolRotate: p.x > 0 ? -90 : 90 } : {}),
        ...(labelled.has(p.gene)
          ? {
              label: { show: true, formatter: p.gene, position: p.x >= 0 ? ('right' as const) : ('left' as const), fontSize: 11, fontWeight: highlight.has(p.gene) ? ('bold' as const) : ('normal' as const), color: '#1f2937' },
              ...(highlight.has(p.gene) ? { symbolSize: 10, itemStyle: { borderColor: '#111827', borderWidth: 1.5 } } : {}),
            }
          : {}),
      }))
  // A gene no cell of the condition expresses has a huge negative log2 fold change (scanpy's 1e-9
  // pseudo-count): the axis ends past the 99th percentile of |x| and such genes sit at its edge.
  const xMax = volcanoRange(points.map((p) => p.x), lfcCut)
  const yLine = -Math.log10(pCut)
  const up = points.filter((p) => p.cls === 'up').length
  const down = points.filter((p) => p.cls === 'down').length
  const option: EChartsOption = {
    animation: false,
    backgroundColor: '#ffffff',
    title: options.title
      ? { text: options.title, subtext: `${up} up, ${down} down of ${points.length} genes`, left: 'center', top: 4, textStyle: { fontSize: 15 }, subtextStyle: { fontSize: 12 } }
      : undefined,
    legend: { top: options.title ? 52 : 4, right: 12, itemWidth: 10, itemHeight: 10, textStyle: { fontSize: 12 } },
    tooltip: {
      trigger: 'item',
      formatter: (p: unknown) => {
        const name = (p as { name: string }).name
        const g = byGene.get(name)
        if (!g) return name
        const off = Math.abs(g.log2FoldChange) > xMax ? ' (beyond the axis: drawn at its edge)' : ''
        return `<strong>${name}</strong><br/>log2 fold change ${g.log2FoldChange.toFixed(2)}${off}<br/>adjusted p ${formatPValue(g.pAdjusted, 3)}<br/>p ${formatPValue(g.pValue, 3)}`
      },
    },
    grid: { left: 64, right: 24, top: options.title ? 96 : 48, bottom: 52 },
    labelLayout: { hideOverlap: true },
    xAxis: {
      type: 'value',
      name: `log2 fold change, ${conditionLabel(condition)} vs control`,
      nameLocation: 'middle',
      nameGap: 30,
      min: -xMax,
      max: xMax,
      splitLine: { lineStyle: { color: '#eceff3' } },
    },
    yAxis: { type: 'value', name: '−log10 adjusted p', nameLocation: 'middle', nameGap: 40, min: 0, splitLine: { lineStyle: { color: '#eceff3' } } },
    series: [
      {
        type: 'scatter',
        name: 'not DE',
        data: data('none'),
        symbolSize: 5,
        itemStyle: { color: GREY, opacity: 0.8 },
        markLine: {
          silent: true,
          symbol: 'none',
          lineStyle: { type: 'dashed', color: figureColors.zero, width: 1 },
          label: { fontSize: 10, color: figureColors.caption },
          data: [
            { yAxis: r4(yLine), label: { formatter: `adj. p = ${pCut}`, position: 'insideEndTop' } },
            { xAxis: -lfcCut, label: { formatter: `÷${(2 ** lfcCut).toFixed(2)}`, position: 'end' } },
            { xAxis: lfcCut, label: { formatter: `×${(2 ** lfcCut).toFixed(2)}`, position: 'end' } },
          ],
        },
      },
      { type: 'scatter', name: `down (${down})`, data: data('down'), symbolSize: 7, itemStyle: { color: figureColors.down } },
      { type: 'scatter', name: `up (${up})`, data: data('up'), symbolSize: 7, itemStyle: { color: figureColors.up } },
    ],
  }
  return { option, points, up, down, labelled: [...labelled] }
}
