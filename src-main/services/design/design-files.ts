/**
 * Design results as files, built with the shared CSV builder, provenance and chart builders so
 * the CLI and the Design screen's exports are the same files: the guide plan (one row per
 * shortlisted perturbation), a pair map as a table, and the map's heatmap as PNG or SVG.
 */
import { GI_SCORE_NAMES, WEAK_PLACEMENT_SHARE, type GiMap, type PairGene, type ObservedGi, type GiScoreName, type GiSettings, type GuidePlan, type HeatmapOrder, type PairGi, type PredictionSource } from '../../../src-shared/contract'
import { giHeatmap } from '../../../src-shared/charts/design-heatmap'
import { csvText, type CsvCell } from '../../../src-shared/exports/csv'
import { safeFilename } from '../../../src-shared/exports/file-name'
import { provenanceLines, type Provenance } from '../../../src-shared/exports/provenance'
import { renderChartPng, renderChartSvg, type RenderSize } from '../exports/render-chart'

export interface DesignFile {
  kind: 'guide-plan' | 'gi-map-table' | 'gi-heatmap'
  format: 'csv' | 'png' | 'svg'
  fileName: string
  bytes: Buffer
  width?: number
  height?: number
}

const SCORE_COLUMNS = GI_SCORE_NAMES.filter((s) => s !== 'c1' && s !== 'c2')

function settingsLines(s: GiSettings): [string, string][] {
  const t = s.thresholds
  return [
    ['GI fit', `ab ≈ c1·a + c2·b, Theil–Sen without intercept (spatial median of two-gene solutions, ≤ ${s.maxSubsamples.toLocaleString('en')} gene pairs, seed ${s.seed}) on genes with control mean > ${s.expressionThreshold}, the pair's own genes left out`],
    [
      'GI calls',
      `magnitude compared as mag / ${t.magReference.toFixed(4)} (the additive pair's mag): synergy > ${t.synergy} (strong > ${t.strongSynergy}), suppression < ${t.suppression}, additive within ±${t.additiveBand}; neomorphic corr_fit < ${t.neomorphicCorrFit}; redundant dcor > ${t.redundantDcor} and dcor_singles > ${t.redundantDcorSingles}; epistasis dominance > ${t.epistasisDominance}; type = first of neomorphic, redundant, epistasis, additive, synergy/suppression`,
    ],
    ['gi_ill_determined', `|singles_cos| > ${t.collinearSingles}: the singles are nearly collinear, so c1, c2, mag, dominance and the magnitude and epistasis calls are ill-determined`],
  ]
}

/** An unseen gene's share of its GO embedding from genes the run trained on; empty for a seen gene (or a map stored before the share). */
const goShare = (g: PairGene | undefined): number | null => (g?.placedBy ? Math.round(g.placedBy.share * 1000) / 1000 : null)

const GO_SHARE_LINE: [string, string] = [
  'gene_a_go_share, gene_b_go_share',
  `for a gene the run never saw perturbed: the share of its GO embedding (model.md §3 step 2, one SGConv hop, self-loop included) that comes from genes the run trained on; below ${WEAK_PLACEMENT_SHARE} the run predicts it much as any gene it cannot place`,
]

function runProvenance(src: PredictionSource, what: string, settings: GiSettings, extra: [string, string][] = []): Provenance {
  return {
    what,
    knowledgeRelease: src.knowledgeRelease,
    dataset: `${src.datasetName} (#${src.datasetId})`,
    run: `${src.runId}${src.runName ? ` “${src.runName}”` : ''}, best epoch ${src.bestEpoch ?? '—'}`,
    model: src.model,
    seed: src.trainingSeed,
    extra: [...settingsLines(settings), ['uncertainty', 'mean predicted SD over the fitted genes (empty without the uncertainty head)'], ...extra],
  }
}

export const GUIDE_PLAN_COLUMNS = [
  'condition',
  'gene_a',
  'gene_b',
  'gene_a_seen',
  'gene_b_seen',
  'gene_a_status',
  'gene_b_status',
  'gene_a_go_share',
  'gene_b_go_share',
  'gi_type',
  'gi_criteria',
  'gi_ill_determined',
  'c1',
  'c2',
  ...SCORE_COLUMNS,
  'uncertainty',
  'measured',
  'top_changed_genes',
] as const

export function guidePlanCsv(plan: GuidePlan, now = new Date()): string {
  const rows: CsvCell[][] = plan.rows.map((r) => {
    const [a, b] = r.genes
    return [
      r.condition,
      a.gene,
      b?.gene ?? null,
      a.status !== 'unseen-in-knowledge',
      b ? b.status !== 'unseen-in-knowledge' : null,
      a.status,
      b?.status ?? null,
      goShare(a),
      goShare(b),
      r.call?.type ?? null,
      r.call?.criteria.join(';') ?? null,
      r.call?.illDetermined ?? null,
      r.scores?.c1 ?? null,
      r.scores?.c2 ?? null,
      ...SCORE_COLUMNS.map((s) => r.scores?.[s] ?? null),
      r.uncertainty,
      r.measured,
      r.topChanges.map((t) => `${t.gene} (${t.change > 0 ? '+' : ''}${t.change})`).join('; '),
    ]
  })
  const what = `guide plan: ${plan.rows.length} perturbation${plan.rows.length === 1 ? '' : 's'}${plan.mapId ? ` shortlisted from pair map ${plan.mapId}` : ''}`
  const extra: [string, string][] = [GO_SHARE_LINE, ['top_changed_genes', 'largest predicted |change over control| (log-normalised expression)']]
  return csvText([...GUIDE_PLAN_COLUMNS], rows, provenanceLines(runProvenance(plan.source, what, plan.settings, extra), plan.source.appVersion, now))
}

export function guidePlanFile(plan: GuidePlan): DesignFile {
  return { kind: 'guide-plan', format: 'csv', fileName: `${safeFilename(`guide-plan-run${plan.runId}${plan.mapId ? `-map${plan.mapId}` : ''}`)}.csv`, bytes: Buffer.from(guidePlanCsv(plan), 'utf8') }
}

export const MAP_COLUMNS = ['condition', 'gene_a', 'gene_b', 'gene_a_status', 'gene_b_status', 'gene_a_go_share', 'gene_b_go_share', 'seen', 'gi_type', 'gi_criteria', 'gi_ill_determined', 'c1', 'c2', ...SCORE_COLUMNS, 'mag_relative', 'genes_fitted', 'uncertainty', 'observed_type', 'observed_mag', 'observed_corr_fit', 'note'] as const

export function mapRows(pairs: PairGi[]): CsvCell[][] {
  return pairs.map((p) => [
    p.condition,
    p.genes[0].gene,
    p.genes[1].gene,
    p.genes[0].status,
    p.genes[1].status,
    goShare(p.genes[0]),
    goShare(p.genes[1]),
    p.seen,
    p.call?.type ?? null,
    p.call?.criteria.join(';') ?? null,
    p.call?.illDetermined ?? null,
    p.scores?.c1 ?? null,
    p.scores?.c2 ?? null,
    ...SCORE_COLUMNS.map((s) => p.scores?.[s] ?? null),
    p.scores?.magRelative ?? null,
    p.scores?.genes ?? null,
    p.uncertainty,
    p.observed?.call?.type ?? null,
    p.observed?.scores?.mag ?? null,
    p.observed?.scores?.corr_fit ?? null,
    p.note ?? null,
  ])
}

export function mapCsv(map: GiMap, now = new Date()): string {
  const what = `GI pair map ${map.mapId}${map.name ? ` “${map.name}”` : ''}: ${map.pairCount} pairs of ${map.geneCount} genes (${map.origin}), scope ${map.scope}`
  // The map's warnings travel with the table, where they are read without the screen.
  const warnings = [GO_SHARE_LINE, ...map.warnings.map((w): [string, string] => ['warning', w])]
  return csvText([...MAP_COLUMNS], mapRows(map.pairs), provenanceLines(runProvenance(map.source, what, map.settings, warnings), map.source.appVersion, now))
}

export function mapTableFile(map: GiMap): DesignFile {
  return { kind: 'gi-map-table', format: 'csv', fileName: `${safeFilename(`gi-map-${map.mapId}-run${map.runId}`)}.csv`, bytes: Buffer.from(mapCsv(map), 'utf8') }
}

/** Square enough for the genes' labels; the PNG has twice these pixels. */
export function heatmapSize(genes: number): RenderSize {
  // At least 900 px so the provenance caption (~800 px of 11 px text) fits under small maps.
  const side = Math.max(900, Math.min(2400, 200 + genes * 14))
  return { width: side + 120, height: side + 40 }
}

export async function heatmapFile(map: GiMap, score: GiScoreName, order: HeatmapOrder, format: 'png' | 'svg'): Promise<DesignFile> {
  const { option, genes } = giHeatmap(map, { score, order })
  const size = heatmapSize(genes.length)
  const fileName = `${safeFilename(`gi-map-${map.mapId}-${score}${order === 'clustered' ? '-clustered' : ''}`)}.${format}`
  if (format === 'svg') return { kind: 'gi-heatmap', format, fileName, bytes: Buffer.from(await renderChartSvg(option, size), 'utf8'), width: size.width, height: size.height }
  const png = await renderChartPng(option, size)
  return { kind: 'gi-heatmap', format, fileName, bytes: png.png, width: png.width, height: png.height }
}

export function observedCsv(obs: ObservedGi, appVersion: string, now = new Date()): string {
  const columns = ['condition', 'gene_a', 'gene_b', 'cells', 'gi_type', 'gi_criteria', 'gi_ill_determined', 'c1', 'c2', ...SCORE_COLUMNS, 'mag_relative', 'genes_fitted', 'note']
  const rows: CsvCell[][] = obs.pairs.map((p) => [p.condition, p.genes[0], p.genes[1], p.cells, p.call?.type, p.call?.criteria.join(';'), p.call?.illDetermined, p.scores?.c1, p.scores?.c2, ...SCORE_COLUMNS.map((n) => p.scores?.[n]), p.scores?.magRelative, p.scores?.genes, p.note])
  const prov: Provenance = { what: `observed GI scores of the ${obs.pairs.length} pairs measured with both singles`, dataset: `${obs.datasetName} (#${obs.datasetId})`, extra: settingsLines(obs.settings) }
  return csvText(columns, rows, provenanceLines(prov, appVersion, now))
}

export function observedFile(obs: ObservedGi, appVersion: string): DesignFile {
  return { kind: 'gi-map-table', format: 'csv', fileName: `${safeFilename(`gi-observed-dataset${obs.datasetId}`)}.csv`, bytes: Buffer.from(observedCsv(obs, appVersion), 'utf8') }
}
