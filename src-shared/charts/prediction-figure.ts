/**
 * The prediction figures as ECharts options, built from plain data so the Predict screen and the
 * CLI's headless renderer (services/exports/render-chart.ts) draw the same figure:
 *  - `de`: GEARS' figure for a measured condition: for its top-20 DE genes, box plots of the
 *    observed per-cell change over control, the predicted change as red dots (± 1 SD when the run
 *    has the uncertainty head) and a dashed zero line for control;
 *  - `top`: the genes with the largest predicted |change| as bars (any condition, measured or not).
 * Options are JSON-like (no functions) and carry their own title, legend and caption, so an
 * exported image is self-describing. The screen registers: BoxplotChart, ScatterChart, BarChart,
 * GridComponent, LegendComponent, TitleComponent, TooltipComponent, MarkLineComponent.
 */
import type { EChartsOption } from 'echarts'
import type { ConditionPrediction, PredictionSource, PredictionView } from '../contract/channels/predictions'
import { captionText } from '../exports/provenance'
import { boxStats, topByMagnitude } from '../domain/statistics'

/** Colours shared with the screens (src-renderer/charts/echarts.ts `palette`). */
export const figureColors = {
  predicted: '#d62728',
  observed: '#5b6b82',
  observedFill: '#e3e8ef',
  up: '#c2352b',
  down: '#2f6fde',
  zero: '#555555',
  caption: '#6b7280',
} as const

export interface FigureChrome {
  /** overrides the default title (`condition — model run N`) */
  title?: string
  /** overrides the default caption (dataset · run · model · seed · app version); '' for none */
  caption?: string
  /** top-N genes of the `top` view (default 20) */
  topN?: number
}

export interface PredictionFigure {
  view: 'de' | 'top'
  option: EChartsOption
  /** the genes on the x axis, in order */
  genes: string[]
}

const round = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(6)) : x)

export function runLabel(src: Pick<PredictionSource, 'runId' | 'runName'>): string {
  return `run ${src.runId}${src.runName ? ` “${src.runName}”` : ''}`
}

export function defaultCaption(src: PredictionSource): string {
  const base = src.base === 'sampled-controls' ? `, ${src.controlCellsUsed} control cells (seed ${src.seed})` : ''
  return captionText(
    { dataset: `${src.datasetName} (#${src.datasetId})`, run: `${runLabel(src)}, epoch ${src.bestEpoch ?? '—'}${base}`, model: src.model, seed: src.trainingSeed, knowledgeRelease: src.knowledgeRelease },
    src.appVersion,
  )
}

function frame(src: PredictionSource, c: ConditionPrediction, chrome: FigureChrome, subtitle: string) {
  const caption = chrome.caption ?? defaultCaption(src)
  const title: EChartsOption['title'] = [
    { text: chrome.title ?? `${c.condition} — ${src.model}, ${runLabel(src)}`, subtext: subtitle, left: 'center', top: 8, textStyle: { fontSize: 16 }, subtextStyle: { fontSize: 12 } },
    ...(caption ? [{ text: caption, left: 'center', bottom: 6, textStyle: { fontSize: 11, fontWeight: 'normal' as const, color: figureColors.caption } }] : []),
  ]
  return {
    animation: false,
    backgroundColor: '#ffffff',
    title,
    legend: { top: 58, left: 'center', itemGap: 18 },
    tooltip: { trigger: 'item' as const },
    grid: { left: 72, right: 28, top: 96, bottom: caption ? 112 : 90 },
  }
}

/** Vertical segments change ± sd, for markLine (error bars without a custom series). */
function errorBars(genes: string[], value: number[], sd: number[] | null, color: string) {
  if (!sd) return []
  return genes.map((g, i) => [
    { coord: [g, round(value[i] - sd[i])], lineStyle: { color, type: 'solid' as const, width: 1.5 } },
    { coord: [g, round(value[i] + sd[i])] },
  ])
}

const zeroLine = { yAxis: 0, lineStyle: { color: figureColors.zero, type: 'dashed' as const, width: 1 }, label: { show: false } }

/** An empty series whose only job is a legend entry for the dashed control line. */
const controlLegend = {
  type: 'line' as const,
  name: 'Control (no change)',
  data: [],
  symbol: 'none',
  lineStyle: { color: figureColors.zero, type: 'dashed' as const, width: 1 },
  itemStyle: { color: figureColors.zero },
}

/** GEARS-style view of a measured condition's top DE genes. */
export function deFigure(src: PredictionSource, c: ConditionPrediction, chrome: FigureChrome = {}): PredictionFigure {
  const m = c.measured
  if (!m) throw new Error(`${c.condition} was not measured: use the top-changes view`)
  const genes = m.de.genes
  const predicted = m.de.index.map((g) => c.change[g])
  const sd = c.sd ? m.de.index.map((g) => c.sd![g]) : null
  const boxes = m.de.cellChanges.map((cells) => boxStats(cells).map(round))
  const predictedName = sd ? 'Predicted (± 1 SD)' : 'Predicted'
  const option: EChartsOption = {
    ...frame(src, c, chrome, `Top ${genes.length} DE genes: observed change of ${m.cells} cells over control (boxes) and predicted change (red)`),
    // The axis at the bottom, so the dashed zero line is not hidden under it.
    xAxis: { type: 'category', data: genes, axisLabel: { rotate: 45, interval: 0, fontSize: 11 }, axisTick: { alignWithLabel: true }, axisLine: { onZero: false } },
    yAxis: { type: 'value', name: 'Change over control', nameLocation: 'middle', nameGap: 50, splitLine: { lineStyle: { color: '#eceff3' } } },
    series: [
      {
        type: 'boxplot',
        name: 'Observed (per cell)',
        data: boxes,
        itemStyle: { color: figureColors.observedFill, borderColor: figureColors.observed },
        boxWidth: ['30%', '60%'],
      },
      {
        type: 'scatter',
        name: predictedName,
        data: predicted.map((y, i) => [genes[i], round(y)]),
        symbolSize: 9,
        itemStyle: { color: figureColors.predicted },
        z: 5,
        markLine: { silent: true, symbol: ['none', 'none'], label: { show: false }, data: [zeroLine, ...errorBars(genes, predicted, sd, figureColors.predicted)] as never },
      },
      controlLegend,
    ],
  }
  // The box swatch drawn as the boxes look (light fill, dark outline), not in the outline colour.
  option.legend = {
    ...(option.legend as object),
    data: [
      { name: 'Observed (per cell)', icon: 'roundRect', itemStyle: { color: figureColors.observedFill, borderColor: figureColors.observed, borderWidth: 1 } },
      { name: predictedName, icon: 'circle' },
      { name: controlLegend.name },
    ],
  }
  return { view: 'de', option, genes }
}

/** The top-N genes by predicted |change|, with the observed mean change beside them when measured. */
export function topChangesFigure(src: PredictionSource, c: ConditionPrediction, chrome: FigureChrome = {}): PredictionFigure {
  const n = chrome.topN ?? 20
  const top = topByMagnitude(c.change, n)
  const genes = top.map((g) => src.genes[g])
  const values = top.map((g) => c.change[g])
  const sd = c.sd ? top.map((g) => c.sd![g]) : null
  const observed = c.measured?.observedChange
  const option: EChartsOption = {
    ...frame(src, c, chrome, `Top ${genes.length} genes by predicted |change| over control${c.measured ? ' (observed mean change as grey diamonds)' : ' (condition not measured)'}`),
    // The axis at the bottom, so the dashed zero line is not hidden under it.
    xAxis: { type: 'category', data: genes, axisLabel: { rotate: 45, interval: 0, fontSize: 11 }, axisTick: { alignWithLabel: true }, axisLine: { onZero: false } },
    yAxis: { type: 'value', name: 'Change over control', nameLocation: 'middle', nameGap: 50, splitLine: { lineStyle: { color: '#eceff3' } } },
    series: [
      // Increases and decreases as two series (stacked on one bar slot), so the legend names both colours.
      ...(['up', 'down'] as const).map((dir) => ({
        type: 'bar' as const,
        name: `Predicted ${dir === 'up' ? 'increase' : 'decrease'}${sd ? ' (± 1 SD)' : ''}`,
        stack: 'predicted',
        data: values.map((v) => ((dir === 'up') === v >= 0 ? round(v) : null)),
        itemStyle: { color: dir === 'up' ? figureColors.up : figureColors.down },
        barMaxWidth: 28,
        ...(dir === 'up' ? { markLine: { silent: true, symbol: ['none', 'none'], label: { show: false }, data: [zeroLine, ...errorBars(genes, values, sd, '#333333')] as never } } : {}),
      })),
      ...(observed
        ? [{ type: 'scatter' as const, name: 'Observed mean change', data: top.map((g, i) => [genes[i], round(observed[g])]), symbol: 'diamond', symbolSize: 10, itemStyle: { color: figureColors.observed }, z: 5 }]
        : []),
      controlLegend,
    ],
  }
  return { view: 'top', option, genes }
}

/** `auto`: the DE view when the condition was measured, else the top changes. */
export function predictionFigure(src: PredictionSource, c: ConditionPrediction, view: PredictionView = 'auto', chrome: FigureChrome = {}): PredictionFigure {
  const de = view === 'de' || (view === 'auto' && c.measured !== null)
  if (de && !c.measured) throw new Error(`${c.condition} was not measured, so it has no observed DE genes to plot; use the top-changes view`)
  return de ? deFigure(src, c, chrome) : topChangesFigure(src, c, chrome)
}
