/**
 * Predicted vs. observed GI scores of the pairs a dataset measured (with both singles), one point
 * per pair, the identity line and the Pearson correlation in the subtitle; coloured by the
 * observed type call. Plain data in, ECharts option out (screen and headless export alike).
 * The screen registers: ScatterChart, LineChart, GridComponent, LegendComponent, TitleComponent, TooltipComponent.
 */
import type { EChartsOption } from 'echarts'
import { GI_TYPES, type GiMap, type GiScoreName, type GiType } from '../contract/channels/design'
import { captionText } from '../exports/provenance'
import { figureColors } from './prediction-figure'
import { SCORE_LABELS } from './design-heatmap'
import { pearson } from '../domain/statistics'

export const GI_TYPE_COLORS: Record<GiType, string> = {
  synergy: '#c2352b',
  suppression: '#2f6fde',
  additive: '#8c8c8c',
  neomorphic: '#9c4fd6',
  redundant: '#2a9d6f',
  epistasis: '#e08a1e',
}

export interface ScatterPoint {
  condition: string
  predicted: number
  observed: number
  observedType: GiType | null
}

export function scatterPoints(map: Pick<GiMap, 'pairs'>, score: GiScoreName): ScatterPoint[] {
  const out: ScatterPoint[] = []
  for (const p of map.pairs) {
    const pred = p.scores?.[score]
    const obs = p.observed?.scores?.[score]
    if (typeof pred === 'number' && typeof obs === 'number' && Number.isFinite(pred) && Number.isFinite(obs)) out.push({ condition: p.condition, predicted: pred, observed: obs, observedType: p.observed?.call?.type ?? null })
  }
  return out
}

export function predictedVsObserved(map: Pick<GiMap, 'pairs' | 'source'>, score: GiScoreName = 'mag', chrome: { title?: string; caption?: string } = {}): { option: EChartsOption; points: ScatterPoint[]; pearson: number | null } {
  const points = scatterPoints(map, score)
  // Fewer than three points, or a constant side, make no correlation worth printing.
  const rho = pearson(
    points.map((p) => p.observed),
    points.map((p) => p.predicted),
  )
  const r = points.length >= 3 && Number.isFinite(rho) ? rho : null
  const all = points.flatMap((p) => [p.observed, p.predicted])
  const lo = all.length ? Math.min(...all) : 0
  const hi = all.length ? Math.max(...all) : 1
  const pad = (hi - lo) * 0.05 || 0.1
  const src = map.source
  const caption = chrome.caption ?? captionText({ dataset: `${src.datasetName} (#${src.datasetId})`, run: `run ${src.runId}`, model: src.model, seed: src.trainingSeed, knowledgeRelease: src.knowledgeRelease }, src.appVersion)
  const round = (x: number) => Number(x.toPrecision(5))
  const byType = (t: GiType | null) => points.filter((p) => p.observedType === t).map((p) => [round(p.observed), round(p.predicted), p.condition])
  const option: EChartsOption = {
    animation: false,
    backgroundColor: '#ffffff',
    title: [
      {
        text: chrome.title ?? `${SCORE_LABELS[score]}: predicted vs. observed`,
        subtext: points.length ? `${points.length} measured pairs${r === null ? '' : `, Pearson r = ${r.toFixed(3)}`}; colour: observed type` : 'No pair of the map was measured with both singles',
        left: 'center',
        top: 8,
        textStyle: { fontSize: 16 },
        subtextStyle: { fontSize: 12 },
      },
      ...(caption ? [{ text: caption, left: 'center', bottom: 6, textStyle: { fontSize: 11, fontWeight: 'normal' as const, color: figureColors.caption } }] : []),
    ],
    legend: { top: 58, left: 'center' },
    tooltip: { trigger: 'item' },
    grid: { left: 72, right: 28, top: 96, bottom: 90 },
    xAxis: { type: 'value', name: 'Observed', nameLocation: 'middle', nameGap: 30, min: round(lo - pad), max: round(hi + pad), splitLine: { lineStyle: { color: '#eceff3' } } },
    yAxis: { type: 'value', name: 'Predicted', nameLocation: 'middle', nameGap: 50, min: round(lo - pad), max: round(hi + pad), splitLine: { lineStyle: { color: '#eceff3' } } },
    series: [
      { type: 'line', name: 'y = x', data: [[round(lo - pad), round(lo - pad)], [round(hi + pad), round(hi + pad)]], symbol: 'none', lineStyle: { color: figureColors.zero, type: 'dashed', width: 1 }, silent: true },
      ...GI_TYPES.filter((t) => byType(t).length).map((t) => ({ type: 'scatter' as const, name: t, data: byType(t), symbolSize: 8, itemStyle: { color: GI_TYPE_COLORS[t] } })),
    ],
  }
  return { option, points, pearson: r }
}
