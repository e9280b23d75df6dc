/**
 * Design results as files, built with the shared table writer (`tableFile`: CSV + provenance
 * sidecar, or Excel with a Provenance sheet) and chart builders so the CLI and the Design
 * screen's exports are the same files: the guide plan (one row per shortlisted perturbation), a
 * pair map as a table, and the map's heatmap as PNG or SVG.
 */
import { GI_SCORE_NAMES, type GiMap, type GiScores, type GiThresholds, type PairGene, type ObservedGi, type GiScoreName, type GiSettings, type GeneGuides, type GuidePlan, type Knockdown, type HeatmapOrder, type PairGi, type PredictionSource } from '../../../src-shared/contract'
import { giHeatmap } from '../../../src-shared/charts/design-heatmap'
import { compareCalls, giVerdict } from '../../../src-shared/domain/gi-call'
import { WEAK_PLACEMENT_SHARE } from '../../../src-shared/domain/gene-placement'
import { GI_DEFAULTS } from '../../../src-shared/domain/gi-thresholds'
import { csvText, type CsvCell } from '../../../src-shared/exports/csv'
import { safeFilename } from '../../../src-shared/exports/file-name'
import type { Provenance } from '../../../src-shared/exports/provenance'
import type { TableExport, TableFormat } from '../../../src-shared/exports/table'
import { renderChartPng, renderChartSvg, type RenderSize } from '../exports/render-chart'
import { tableFile } from '../exports/table-files'

export interface DesignFile {
  kind: 'guide-plan' | 'gi-map-table' | 'gi-heatmap'
  format: TableFormat | 'png' | 'svg'
  fileName: string
  bytes: Buffer
  width?: number
  height?: number
  /** a CSV table's provenance sidecar for its final file name */
  provenance?: ((fileName: string) => Buffer) | null
}

async function designTableFile(doc: TableExport & { kind: DesignFile['kind'] }, format: TableFormat, appVersion: string): Promise<DesignFile> {
  const f = await tableFile(doc, format, appVersion)
  return { kind: doc.kind, format, fileName: f.fileName, bytes: f.bytes, provenance: f.provenance }
}

const SCORE_COLUMNS = GI_SCORE_NAMES.filter((s) => s !== 'c1' && s !== 'c2')

/** The call's columns after gi_type (src-shared/domain/gi-call.ts): the rule that decided it, the other criteria that hold, the ⚠ in words. */
const CALL_COLUMNS = ['gi_rule', 'gi_also', 'gi_warning'] as const
function callCells(scores: GiScores | null | undefined, t: GiThresholds): CsvCell[] {
  const v = scores ? giVerdict(scores, t) : null
  return [v?.rule ?? null, v ? v.secondary.map((c) => c.type).join(';') : null, v?.warning ?? null]
}

function settingsLines(s: GiSettings): [string, string][] {
  const t = s.thresholds
  return [
    ['GI fit', `ab ≈ c1·a + c2·b, Theil–Sen without intercept (spatial median of two-gene solutions, ≤ ${s.maxSubsamples.toLocaleString('en')} gene pairs, seed ${s.seed}) on genes with control mean > ${s.expressionThreshold}, the pair's own genes left out`],
    [
      'GI calls',
      `magnitude compared as mag / ${t.magReference.toFixed(4)} (the additive pair's mag): synergy > ${t.synergy} (strong > ${t.strongSynergy}), suppression < ${t.suppression}, additive within ±${t.additiveBand}; neomorphic corr_fit < ${t.neomorphicCorrFit}; redundant dcor > ${t.redundantDcor} and dcor_singles > ${t.redundantDcorSingles}; epistasis dominance > ${t.epistasisDominance}; type = first of neomorphic, redundant, epistasis, additive, synergy/suppression (additive wins within its band, so synergy needs > ${(1 + t.additiveBand).toFixed(2)}, suppression < ${(1 - t.additiveBand).toFixed(2)})`,
    ],
    ['gi_ill_determined', `|singles_cos| > ${t.collinearSingles}: the singles are nearly collinear, so c1, c2, mag, dominance and the magnitude and epistasis calls are ill-determined`],
    ['gi_rule', 'why the pair got its one call (gi_type): the first rule that holds, with the pair\'s numbers; gi_also: the other criteria that hold; gi_warning: why the call is not reliable (ill-determined and resting on mag or dominance), and what to do'],
  ]
}

/** An unseen gene's share of its GO embedding from genes the run trained on; empty for a seen gene (or a map stored before the share). */
const goShare = (g: PairGene | undefined): number | null => (g?.placedBy ? Math.round(g.placedBy.share * 1000) / 1000 : null)

const GO_SHARE_LINE: [string, string] = [
  'gene_a_go_share, gene_b_go_share',
  `for a gene the run never saw perturbed: the share of its GO embedding (docs/ml-engine.md §3 step 2, one SGConv hop, self-loop included) that comes from genes the run trained on; below ${WEAK_PLACEMENT_SHARE} the run predicts it much as any gene it cannot place`,
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
  ...CALL_COLUMNS,
  'c1',
  'c2',
  ...SCORE_COLUMNS,
  'uncertainty',
  'measured',
  'top_changed_genes',
  'gene_a_guides',
  'gene_a_knockdown_pct',
  'gene_b_guides',
  'gene_b_knockdown_pct',
] as const

/** Percent knocked down (100 · (1 − remaining)), one decimal; null when not measurable. */
export function knockdownPct(k: Knockdown | null): number | null {
  return k?.remaining == null ? null : Math.round((1 - k.remaining) * 1000) / 10
}

/** One gene's guides in a cell: `STAT1g1: 298 cells, 71.2 % knockdown (rep_1 70.1 %, …); STAT1g2: …`, or why there are none. */
export function guidesText(g: GeneGuides | undefined): string | null {
  if (!g) return null
  if (!g.targeted) return `not targeted by the screen`
  if (!g.guides.length) return g.note ?? 'no guide ids'
  return g.guides
    .map((e) => {
      const kd = knockdownPct(e.knockdown)
      const reps = e.replicates.map((r) => `${r.replicate} ${knockdownPct(r) ?? '—'} %`).join(', ')
      return `${e.guide}: ${e.cells} cells${kd !== null ? `, ${kd} % knockdown` : ''}${reps ? ` (${reps})` : ''}`
    })
    .join('; ')
}

export const GUIDE_COLUMNS = ['condition', 'gene', 'guide', 'cells', 'knockdown_pct', 'remaining', 'log_change', 'log_change_se', 'control_cells', 'replicate', 'note'] as const

/** One row per perturbation × gene × guide, overall and then per replicate (the workbook's `Guides` sheet). */
function guideRows(plan: GuidePlan): CsvCell[][] {
  const rows: CsvCell[][] = []
  for (const r of plan.rows) {
    for (const g of r.guides) {
      if (!g.guides.length) {
        rows.push([r.condition, g.gene, null, null, null, null, null, null, null, null, g.targeted ? (g.note ?? 'no guide ids') : 'not targeted by the screen'])
        continue
      }
      for (const e of g.guides) {
        const line = (k: Knockdown | null, cells: number, replicate: string | null): CsvCell[] => [r.condition, g.gene, e.guide, cells, knockdownPct(k), k?.remaining ?? null, k?.change ?? null, k?.se ?? null, k?.controlCells ?? null, replicate, g.expressionMeasured ? null : g.note]
        rows.push(line(e.knockdown, e.cells, null))
        for (const rep of e.replicates) rows.push(line(rep, rep.cells, rep.replicate))
      }
    }
  }
  return rows
}

/** The guide plan as a table export (sheet `Guide plan`): CSV or Excel through `tableFile`. */
export function guidePlanTable(plan: GuidePlan, format: TableFormat = 'csv'): TableExport & { kind: 'guide-plan' } {
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
      ...callCells(r.scores, plan.settings.thresholds),
      r.scores?.c1 ?? null,
      r.scores?.c2 ?? null,
      ...SCORE_COLUMNS.map((s) => r.scores?.[s] ?? null),
      r.uncertainty,
      r.measured,
      r.topChanges.map((t) => `${t.gene} (${t.change > 0 ? '+' : ''}${t.change})`).join('; '),
      guidesText(r.guides[0]),
      knockdownPct(r.guides[0]?.knockdown ?? null),
      guidesText(r.guides[1]),
      knockdownPct(r.guides[1]?.knockdown ?? null),
    ]
  })
  const what = `guide plan: ${plan.rows.length} perturbation${plan.rows.length === 1 ? '' : 's'}${plan.mapId ? ` shortlisted from pair map ${plan.mapId}` : ''}`
  const gs = plan.guideSource
  const extra: [string, string][] = [
    GO_SHARE_LINE,
    ['top_changed_genes', 'largest predicted |change over control| (log-normalised expression)'],
    [
      'guides',
      gs.guideColumn
        ? `the screen's guides against each gene alone, from the dataset's per-cell column '${gs.guideColumn}'${gs.replicateColumn ? `, per replicate from '${gs.replicateColumn}' (${gs.replicates.join(', ')})` : ''}`
        : (gs.note ?? 'none'),
    ],
    ['knockdown_pct', `100 · (1 − remaining): remaining = the target's mean normalised expression in the guide's cells / in the ${gs.controlCells.toLocaleString('en')} control cells (per replicate: the control cells of that replicate); empty when the target's own expression is not measured. log_change: mean log-normalised difference, ± log_change_se (Welch)`],
  ]
  return {
    kind: 'guide-plan',
    stem: safeFilename(`guide-plan-run${plan.runId}${plan.mapId ? `-map${plan.mapId}` : ''}`),
    // A CSV holds one table (the guides in text columns); a workbook also gets a sheet of one row per guide and replicate.
    tables: [{ sheet: 'Guide plan', columns: [...GUIDE_PLAN_COLUMNS], rows }, ...(format === 'xlsx' ? [{ sheet: 'Guides', columns: [...GUIDE_COLUMNS], rows: guideRows(plan) }] : [])],
    provenance: runProvenance(plan.source, what, plan.settings, extra),
  }
}

export function guidePlanCsv(plan: GuidePlan): string {
  const [t] = guidePlanTable(plan).tables
  return csvText(t.columns, t.rows)
}

export function guidePlanFile(plan: GuidePlan, format: TableFormat = 'csv'): Promise<DesignFile> {
  return designTableFile(guidePlanTable(plan, format), format, plan.source.appVersion)
}

export const MAP_COLUMNS = ['condition', 'gene_a', 'gene_b', 'gene_a_status', 'gene_b_status', 'gene_a_go_share', 'gene_b_go_share', 'seen', 'gi_type', 'gi_criteria', 'gi_ill_determined', ...CALL_COLUMNS, 'c1', 'c2', ...SCORE_COLUMNS, 'mag_relative', 'genes_fitted', 'uncertainty', 'observed_type', 'observed_agrees', 'observed_mag', 'observed_corr_fit', 'note'] as const

export function mapRows(pairs: PairGi[], t: GiThresholds = GI_DEFAULTS.thresholds): CsvCell[][] {
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
    ...callCells(p.scores, t),
    p.scores?.c1 ?? null,
    p.scores?.c2 ?? null,
    ...SCORE_COLUMNS.map((s) => p.scores?.[s] ?? null),
    p.scores?.magRelative ?? null,
    p.scores?.genes ?? null,
    p.uncertainty,
    p.observed?.call?.type ?? null,
    p.scores && p.observed?.scores ? compareCalls(giVerdict(p.scores, t), giVerdict(p.observed.scores, t)).agree : null,
    p.observed?.scores?.mag ?? null,
    p.observed?.scores?.corr_fit ?? null,
    p.note ?? null,
  ])
}

/** A pair map as a table export (sheet `Pair map`): CSV or Excel through `tableFile`. */
export function mapTable(map: GiMap): TableExport & { kind: 'gi-map-table' } {
  const what = `GI pair map ${map.mapId}${map.name ? ` “${map.name}”` : ''}: ${map.pairCount} pairs of ${map.geneCount} genes (${map.origin}), scope ${map.scope}`
  // The map's warnings travel with the table, where they are read without the screen.
  const warnings = [GO_SHARE_LINE, ['observed_agrees', 'true when the predicted call (gi_type) is the call from the measured cells (observed_type), false when they disagree; empty when the pair was not measured with both singles'] as [string, string], ...map.warnings.map((w): [string, string] => ['warning', w])]
  return {
    kind: 'gi-map-table',
    stem: safeFilename(`gi-map-${map.mapId}-run${map.runId}`),
    tables: [{ sheet: 'Pair map', columns: [...MAP_COLUMNS], rows: mapRows(map.pairs, map.settings.thresholds) }],
    provenance: runProvenance(map.source, what, map.settings, warnings),
  }
}

export function mapCsv(map: GiMap): string {
  return csvText([...MAP_COLUMNS], mapRows(map.pairs, map.settings.thresholds))
}

export function mapTableFile(map: GiMap, format: TableFormat = 'csv'): Promise<DesignFile> {
  return designTableFile(mapTable(map), format, map.source.appVersion)
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

/** The observed GI scores of a dataset as a table export (sheet `Observed GI`). */
export function observedTable(obs: ObservedGi): TableExport & { kind: 'gi-map-table' } {
  const columns = ['condition', 'gene_a', 'gene_b', 'cells', 'gi_type', 'gi_criteria', 'gi_ill_determined', ...CALL_COLUMNS, 'c1', 'c2', ...SCORE_COLUMNS, 'mag_relative', 'genes_fitted', 'note']
  const rows: CsvCell[][] = obs.pairs.map((p) => [p.condition, p.genes[0], p.genes[1], p.cells, p.call?.type, p.call?.criteria.join(';'), p.call?.illDetermined, ...callCells(p.scores, obs.settings.thresholds), p.scores?.c1, p.scores?.c2, ...SCORE_COLUMNS.map((n) => p.scores?.[n]), p.scores?.magRelative, p.scores?.genes, p.note])
  const prov: Provenance = { what: `observed GI scores of the ${obs.pairs.length} pairs measured with both singles`, dataset: `${obs.datasetName} (#${obs.datasetId})`, extra: settingsLines(obs.settings) }
  return { kind: 'gi-map-table', stem: safeFilename(`gi-observed-dataset${obs.datasetId}`), tables: [{ sheet: 'Observed GI', columns, rows }], provenance: prov }
}

export function observedFile(obs: ObservedGi, appVersion: string, format: TableFormat = 'csv'): Promise<DesignFile> {
  return designTableFile(observedTable(obs), format, appVersion)
}
