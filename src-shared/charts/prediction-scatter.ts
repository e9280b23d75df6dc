/**
 * Predicted vs. observed change from control, one point per measured gene, for a condition the
 * screen measured: the condition's top DE genes in red and named, the rest grey, the identity line,
 * and — for a set of two or more genes — the sum of the singles' predicted changes (the additive
 * expectation) against the same observation in purple, so one sees whether the model beats
 * "no interaction". Plain data in, ECharts option out. The screen registers: ScatterChart,
 * LineChart, GridComponent, LegendComponent, TitleComponent, TooltipComponent.
 */
import type { EChartsOption } from 'echarts'
import type { ConditionPrediction, PredictResult } from '../contract'
import { conditionLabel } from '../domain/conditions'
import { pearson } from '../domain/statistics'
import { figureColors } from './prediction-figure'

export const SUM_OF_SINGLES = 'Sum of singles (additive expectation)'
export const ADDITIVE_COLOR = '#7b3fa0'

export interface ScatterSummary {
  /** Pearson r of predicted and observed change, all genes (the run's pearson_delta) */
  r: number | null
  /** the same over the top DE genes */
  rDe: number | null
  /** the sum of singles' r over all genes, when the set has one */
  rAdditive: number | null
  rAdditiveDe: number | null
  /** the model's prediction equals the sum of singles on the top DE genes (e.g. a run whose prediction is the prior) */
  sameAsAdditive: boolean
}

const r4 = (v: number) => Number(v.toPrecision(4))
const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null)

/** Null when the condition was not measured (there is nothing to compare with). */
export function predictionScatter(result: Pick<PredictResult, 'genes'>, c: ConditionPrediction, options: { title?: string } = {}): { option: EChartsOption; summary: ScatterSummary } | null {
  const m = c.measured
  if (!m || m.observedChange.length !== result.genes.length) return null
  const obs = m.observedChange
  const pred = c.change
  const add = c.additiveChange && c.additiveChange.length === result.genes.length ? c.additiveChange : null
  const de = new Set(m.de.index)
  const deIdx = [...de]
  const summary: ScatterSummary = {
    r: finiteOrNull(pearson(pred, obs)),
    rDe: deIdx.length >= 3 ? finiteOrNull(pearson(pred, obs, deIdx)) : null,
    rAdditive: add ? finiteOrNull(pearson(add, obs)) : null,
    rAdditiveDe: add && deIdx.length >= 3 ? finiteOrNull(pearson(add, obs, deIdx)) : null,
    sameAsAdditive: !!add && deIdx.every((i) => Math.abs(add[i] - pred[i]) <= 1e-6 * Math.max(1, Math.abs(pred[i]))),
  }
  const all = [...obs, ...pred, ...(add ?? [])].filter(Number.isFinite)
  const lo = Math.min(0, ...all)
  const hi = Math.max(0, ...all)
  // Both axes share one range, on whole halves (or tenths for small changes), so the identity line is the diagonal.
  const step = hi - lo > 2 ? 0.5 : 0.1
  const [a, b] = [r4(Math.floor((lo - (hi - lo) * 0.03) / step) * step), r4(Math.ceil((hi + (hi - lo) * 0.03) / step) * step)]
  // Names only for the DE genes that changed most (observed or predicted), so they stay readable.
  const named = new Set([...deIdx].sort((i, j) => Math.max(Math.abs(obs[j]), Math.abs(pred[j])) - Math.max(Math.abs(obs[i]), Math.abs(pred[i])) || i - j).slice(0, 10))
  const point = (i: number, y: number, named: boolean) => ({
    name: result.genes[i],
    value: [r4(obs[i]), r4(y)],
    ...(named ? { label: { show: true, formatter: result.genes[i], position: 'right' as const, fontSize: 10, color: '#1f2937' } } : {}),
  })
  const genes = result.genes.map((_, i) => i)
  const fmt = (v: number | null) => (v === null ? 'n/a' : v.toFixed(2))
  const sub = [`Pearson r: all genes ${fmt(summary.r)}, top ${deIdx.length} DE genes ${fmt(summary.rDe)}`]
  if (add) sub.push(`sum of singles: ${fmt(summary.rAdditive)}, ${fmt(summary.rAdditiveDe)}`)
  const option: EChartsOption = {
    animation: false,
    backgroundColor: '#ffffff',
    title: {
      text: options.title ?? `${conditionLabel(c.condition)}: predicted vs. observed change`,
      subtext: sub.join('; '),
      left: 'center',
      top: 4,
      textStyle: { fontSize: 14 },
      subtextStyle: { fontSize: 12 },
    },
    legend: { top: 50, left: 'center', itemWidth: 10, itemHeight: 10 },
    tooltip: {
      trigger: 'item',
      formatter: (p: unknown) => {
        const { name, seriesName, value } = p as { name: string; seriesName: string; value: [number, number] }
        if (!name) return seriesName
        return `<strong>${name}</strong><br/>observed change ${value[0].toFixed(3)}<br/>${seriesName.startsWith('Sum') ? 'sum of singles' : 'predicted change'} ${value[1].toFixed(3)}`
      },
    },
    grid: { left: 64, right: 24, top: 84, bottom: 52 },
    labelLayout: { hideOverlap: true },
    xAxis: { type: 'value', name: 'Observed change from control (log-normalised)', nameLocation: 'middle', nameGap: 30, min: a, max: b, splitLine: { lineStyle: { color: '#eceff3' } } },
    yAxis: { type: 'value', name: 'Predicted change', nameLocation: 'middle', nameGap: 44, min: a, max: b, splitLine: { lineStyle: { color: '#eceff3' } } },
    series: [
      { type: 'line', name: 'predicted = observed', data: [[a, a], [b, b]], symbol: 'none', itemStyle: { color: figureColors.zero }, lineStyle: { color: figureColors.zero, type: 'dashed', width: 1 }, silent: true, tooltip: { show: false } },
      { type: 'scatter', name: 'Other genes', data: genes.filter((i) => !de.has(i)).map((i) => point(i, pred[i], false)), symbolSize: 5, itemStyle: { color: '#b8c0cc' } },
      ...(add ? [{ type: 'scatter' as const, name: SUM_OF_SINGLES, data: deIdx.map((i) => point(i, add[i], false)), symbol: 'diamond', symbolSize: 8, itemStyle: { color: ADDITIVE_COLOR, opacity: 0.85 } }] : []),
      { type: 'scatter', name: `Top ${deIdx.length} DE genes`, data: deIdx.map((i) => point(i, pred[i], named.has(i))), symbolSize: 8, itemStyle: { color: figureColors.predicted }, z: 5 },
    ],
  }
  return { option, summary }
}
