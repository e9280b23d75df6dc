/**
 * The pair map's heatmap: genes × genes, each cell the chosen GI score of that pair (symmetric,
 * empty diagonal and empty where a pair was left out), as an ECharts option built from plain
 * data so the Design screen and the headless renderer (PNG/SVG export) draw the same figure.
 * Magnitude is coloured on a diverging scale centred on the additive reference (√2 by default);
 * other scores on a sequential scale. Gene order: as given, alphabetical, or clustered
 * (average-linkage on the genes' score profiles, leaves in dendrogram order).
 * Each cell prints its value while the map is small enough to read it (≤ VALUE_LABEL_MAX_GENES
 * genes); the colour bar is titled with the score and its ends say what they mean; a cell with no
 * pair (the diagonal, pairs left out) is hatched grey, never a colour of the scale (white is additive).
 * The screen registers: HeatmapChart, CustomChart, GridComponent, TitleComponent, TooltipComponent, VisualMapComponent.
 */
import type { EChartsOption } from 'echarts'
import type { GiMap, GiScoreName, HeatmapOrder } from '../contract/channels/design'
import { captionText } from '../exports/provenance'
import { euclideanOrder } from '../domain/clustering'
import { figureColors } from './prediction-figure'

export type HeatmapMap = Pick<GiMap, 'geneList' | 'pairs' | 'settings' | 'source' | 'mapId' | 'origin'>

export interface HeatmapOptions {
  score?: GiScoreName
  order?: HeatmapOrder
  title?: string
  /** '' for none */
  caption?: string
}

export interface GiHeatmap {
  option: EChartsOption
  /** the genes along both axes, in drawing order */
  genes: string[]
  /** the value range the colours span (values beyond it take the end colours) */
  range: [number, number]
  /** the values' full range */
  extent: [number, number]
}

/**
 * With at least CLIP_MIN_CELLS cells, the colours span the 1st to 99th percentile: a few extreme
 * pairs (often ill-determined fits, mag 20 where the rest lie below 3) would otherwise wash every
 * other cell out to the palest colour. Cells beyond take the end colours; tooltips keep the value.
 */
const CLIP_QUANTILE = 0.01
const CLIP_MIN_CELLS = 100

export const SCORE_LABELS: Record<GiScoreName, string> = {
  mag: 'GI magnitude',
  c1: 'c1 (first gene’s coefficient)',
  c2: 'c2 (second gene’s coefficient)',
  corr_fit: 'Fit correlation (corr_fit)',
  dcor: 'dCor([a, b], ab)',
  dcor_singles: 'dCor(a, b): similarity of the singles',
  singles_cos: 'cos(a, b): collinearity of the singles',
  dcor_first: 'dCor(a, ab)',
  dcor_second: 'dCor(b, ab)',
  dominance: 'Dominance |log10(c1/c2)|',
  eq_contr: 'Equality of contribution',
}

/** The score matrix (NaN where no pair), in the map's gene order. */
export function scoreMatrix(map: Pick<GiMap, 'geneList' | 'pairs'>, score: GiScoreName): number[][] {
  const n = map.geneList.length
  const at = new Map(map.geneList.map((g, i) => [g.gene, i]))
  const m = Array.from({ length: n }, () => new Array<number>(n).fill(NaN))
  for (const p of map.pairs) {
    const v = p.scores?.[score]
    if (v === undefined || v === null || !Number.isFinite(v)) continue
    const i = at.get(p.genes[0].gene)
    const j = at.get(p.genes[1].gene)
    if (i === undefined || j === undefined) continue
    // c1 belongs to the first gene of the condition: read from that gene's row it is c1, from the other's c2.
    if (score === 'c1' || score === 'c2') {
      const other = score === 'c1' ? 'c2' : 'c1'
      m[i][j] = v
      m[j][i] = p.scores![other]
    } else {
      m[i][j] = v
      m[j][i] = v
    }
  }
  return m
}

const MISSING = '#d9dde3'
/** "no pair" cells: a light grey with darker diagonal hatching (custom series; the grid's grey shows beyond NO_PAIR_MAX_CELLS) */
export const NO_PAIR_FILL = '#eceef1'
export const NO_PAIR_HATCH = '#aab1bb'
const NO_PAIR_MAX_CELLS = 20_000
/** cells print their value up to this many genes (the screen hides them again when its cells are small) */
export const VALUE_LABEL_MAX_GENES = 20

/** Short names for the colour bar's title. */
const BAR_TITLES: Partial<Record<GiScoreName, string>> = { mag: 'GI magnitude', singles_cos: 'cos(a, b)', dominance: 'Dominance', eq_contr: 'Equality', corr_fit: 'corr_fit', dcor_singles: 'dCor(a, b)' }

/** What the colour bar's two ends mean. */
function barEnds(score: GiScoreName): [high: string, low: string] {
  if (score === 'mag') return ['stronger', 'weaker']
  if (score === 'c1' || score === 'c2') return ['', '']
  if (score === 'singles_cos') return ['alike', 'opposite']
  return ['higher', 'lower']
}

interface CustomApi {
  value(dim: number): number
  coord(v: number[]): number[]
  size(v: number[]): number[] | number
}

/** One hatched "no pair" cell (ECharts custom series' renderItem). */
function noPairCell(_: unknown, api: CustomApi) {
  const [cx, cy] = api.coord([api.value(0), api.value(1)])
  const size = api.size([1, 1])
  const [w, h] = Array.isArray(size) ? size : [size, size]
  const x0 = cx - w / 2
  const y0 = cy - h / 2
  const step = Math.max(3, Math.min(w, h) / 3)
  const lines = []
  for (let k = step; k < w + h; k += step) {
    lines.push({
      type: 'line',
      shape: { x1: x0 + Math.max(0, k - h), y1: y0 + Math.min(k, h), x2: x0 + Math.min(k, w), y2: y0 + Math.max(0, k - w) },
      style: { stroke: NO_PAIR_HATCH, lineWidth: 1 },
    })
  }
  return { type: 'group', children: [{ type: 'rect', shape: { x: x0, y: y0, width: w, height: h }, style: { fill: NO_PAIR_FILL } }, ...lines] }
}

function hex(c: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)) as [number, number, number]
}

function mix(a: string, b: string, t: number): string {
  const [x, y] = [hex(a), hex(b)]
  return `#${x.map((v, i) => Math.round(v + (y[i] - v) * t).toString(16).padStart(2, '0')).join('')}`
}

/** Colours evenly spaced over [lo, hi] (how ECharts spreads them) that are white at `center`, blue below, red above. */
export function divergingStops(lo: number, hi: number, center: number, n = 41): string[] {
  const below = Math.max(center - lo, 1e-12)
  const above = Math.max(hi - center, 1e-12)
  return Array.from({ length: n }, (_, k) => {
    const v = lo + ((hi - lo) * k) / (n - 1)
    return v <= center ? mix('#f7f7f7', figureColors.down, Math.min(1, (center - v) / below)) : mix('#f7f7f7', figureColors.up, Math.min(1, (v - center) / above))
  })
}

export function giHeatmap(map: HeatmapMap, options: HeatmapOptions = {}): GiHeatmap {
  const score = options.score ?? 'mag'
  const order = options.order ?? 'given'
  const full = scoreMatrix(map, score)
  const names = map.geneList.map((g) => g.gene)
  // A gene the map's scope left without any pair (an unseen gene under `both` or `seen`) would
  // only draw an empty grey row and column: it is left out, and the subtitle says how many.
  const paired = new Set(map.pairs.flatMap((p) => [p.genes[0].gene, p.genes[1].gene]))
  let idx = names.map((_, i) => i).filter((i) => paired.has(names[i]))
  const unpaired = names.length - idx.length
  if (order === 'alphabetical') idx.sort((a, b) => (names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : 0))
  else if (order === 'clustered') {
    const kept = idx
    idx = euclideanOrder(kept.map((i) => kept.map((j) => full[i][j]))).map((k) => kept[k])
  }
  const genes = idx.map((i) => names[i])
  const cells: [number, number, number][] = []
  const noPair: [number, number][] = []
  idx.forEach((i, x) =>
    idx.forEach((j, y) => {
      const v = full[i][j]
      if (Number.isFinite(v)) cells.push([x, y, v])
      else noPair.push([x, y])
    }),
  )
  const sorted = cells.map((c) => c[2]).sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.round(q * (sorted.length - 1))]
  const extent: [number, number] = sorted.length ? [sorted[0], sorted[sorted.length - 1]] : [0, 1]
  let [lo, hi] = sorted.length >= CLIP_MIN_CELLS ? [at(CLIP_QUANTILE), at(1 - CLIP_QUANTILE)] : extent
  if (hi <= lo) [lo, hi] = extent
  // Every cell alike (e.g. an untrained model predicting every pair exactly additive): a diverging
  // scale spans its centre ± 10 % so the cells take the centre's colour (white for additive), not an end's.
  const centre = score === 'mag' ? map.settings.thresholds.magReference : score === 'c1' || score === 'c2' ? 1 : score === 'singles_cos' ? 0 : null
  if (hi - lo < 1e-9 && centre !== null) {
    const pad = Math.max(Math.abs(centre) * 0.1, 0.1)
    ;[lo, hi] = [Math.min(lo, centre - pad), Math.max(hi, centre + pad)]
  }
  if (hi <= lo) hi = lo + 1e-6
  const range: [number, number] = [lo, hi]
  const clipped = lo > extent[0] || hi < extent[1]
  // [x, y, colour value (clamped to the range), value]
  const data = cells.map(([x, y, v]) => [x, y, Number(Math.min(hi, Math.max(lo, v)).toPrecision(4)), Number(v.toPrecision(4))])
  let colors = ['#f7fbff', '#9ecae1', '#2171b5', '#08306b']
  // Magnitude: white at the additive reference, blue below (suppression), red above (synergy); c1/c2 around 1.
  if (centre !== null) colors = divergingStops(lo, hi, centre)
  const src = map.source
  const caption =
    options.caption ??
    captionText(
      { dataset: `${src.datasetName} (#${src.datasetId})`, run: `run ${src.runId}${src.runName ? ` “${src.runName}”` : ''}`, model: src.model, seed: src.trainingSeed, knowledgeRelease: src.knowledgeRelease },
      src.appVersion,
    )
  const n = genes.length
  const label = n <= 150
  const values = n <= VALUE_LABEL_MAX_GENES
  const [endHigh, endLow] = barEnds(score)
  const option: EChartsOption = {
    animation: false,
    backgroundColor: '#ffffff',
    title: [
      {
        text: options.title ?? `${SCORE_LABELS[score]} of predicted pairs — ${src.model}, run ${src.runId}`,
        subtext: `${n} genes (${map.origin}${unpaired ? `; ${unpaired} with no pair in scope not drawn` : ''}), ${map.pairs.length.toLocaleString('en')} pairs${order === 'clustered' ? ', clustered order' : ''}; hatched grey: no pair${score === 'mag' ? `; white: additive (mag = ${map.settings.thresholds.magReference.toFixed(3)})` : ''}${clipped ? `; colours span the 1st–99th percentile (all values ${fmt3(extent[0])} to ${fmt3(extent[1])})` : ''}`,
        left: 'center',
        top: 8,
        textStyle: { fontSize: 16 },
        subtextStyle: { fontSize: 12 },
      },
      ...(caption ? [{ text: caption, left: 'center', bottom: 6, textStyle: { fontSize: 11, fontWeight: 'normal' as const, color: figureColors.caption } }] : []),
      // the colour bar's title, above it
      { text: BAR_TITLES[score] ?? score, right: 16, top: 84, textStyle: { fontSize: 11, fontWeight: 'bold' as const, color: '#333' } },
    ],
    tooltip: { position: 'top' },
    // Cells without a pair (the diagonal, pairs left out) show the grid's grey, never a score colour.
    grid: { left: label ? 90 : 40, right: 130, top: 80, bottom: label ? 110 : 50, show: true, backgroundColor: MISSING, borderWidth: 0 },
    xAxis: { type: 'category', data: genes, splitArea: { show: false }, axisLabel: { show: label, rotate: 90, interval: 0, fontSize: n > 30 ? 8 : 11 }, axisTick: { show: false } },
    yAxis: { type: 'category', data: genes, inverse: true, axisLabel: { show: label, interval: 0, fontSize: n > 30 ? 8 : 11 }, axisTick: { show: false } },
    visualMap: {
      type: 'continuous',
      min: Number(range[0].toPrecision(4)),
      max: Number(range[1].toPrecision(4)),
      calculable: false,
      orient: 'vertical',
      right: 40,
      top: 124,
      itemHeight: 180,
      text: [`${clipped && hi < extent[1] ? '≥ ' : ''}${fmt3(range[1])}${endHigh ? ` ${endHigh}` : ''}`, `${clipped && lo > extent[0] ? '≤ ' : ''}${fmt3(range[0])}${endLow ? ` ${endLow}` : ''}`],
      textStyle: { fontSize: 11 },
      dimension: 2,
      seriesIndex: 0,
      inRange: { color: colors },
    },
    series: [
      {
        type: 'heatmap',
        name: SCORE_LABELS[score],
        data,
        progressive: 0,
        emphasis: { itemStyle: { borderColor: '#333', borderWidth: 1 } },
        label: values ? { show: true, formatter: (p: { value: unknown }) => fmt2((p.value as number[])[3]), fontSize: n <= 10 ? 11 : 9, color: '#1d2433' } : { show: false },
      },
      ...(noPair.length <= NO_PAIR_MAX_CELLS ? [{ type: 'custom' as const, name: 'no pair', silent: true, data: noPair, encode: { x: 0, y: 1 }, renderItem: noPairCell as never, z: 1 }] : []),
    ],
  }
  return { option, genes, range, extent }
}

const fmt3 = (v: number) => String(Number(v.toPrecision(3)))
const fmt2 = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2))
