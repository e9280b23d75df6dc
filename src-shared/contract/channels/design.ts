import { z } from 'zod'
import { GI_DEFAULTS } from '../../domain/gi-thresholds'
import { AppError } from '../envelope'
import { id, jobId } from '../names'
import { returns } from './define'
import type { ExportSaved } from './exports'
import type { GeneStatus, PredictedGeneFlag, PredictionSource } from './predictions'

/**
 * Experiment design (docs/ml-engine.md §9): genetic-interaction (GI) scores of gene pairs, from the
 * dataset's measurements (pairs measured with both singles) or from a run's predictions (pair
 * maps of a gene set), the search for perturbations whose predicted change matches a target
 * signature, and the guide plan a scientist takes to the bench.
 *
 * GI scores: for a pair A, B with changes over control a, b, ab (restricted to genes whose
 * control mean exceeds `expressionThreshold`), ab ≈ c1·a + c2·b is fitted by Theil–Sen without
 * intercept. Scores are named as in GEARS' code (`mag`, `corr_fit`, `dcor`, …).
 *
 * Type calls: `mag` is reported as GEARS computes it (√(c1² + c2²)), so a purely additive pair
 * (c1 = c2 = 1) has mag = √2. The magnitude thresholds of §9 are applied to mag / `magReference`
 * (default √2, the additive pair's magnitude; set it to 1 to read §9 literally, where every
 * additive pair is "synergy"). Redundancy needs `dcor_singles` above its threshold as well as
 * `dcor` (which is high for any linear pair). Every threshold is an input; the defaults and the
 * calls are domain logic: src-shared/domain/gi-thresholds.ts and gi-call.ts.
 */

export const GI_SCORE_NAMES = ['mag', 'c1', 'c2', 'corr_fit', 'dcor', 'dcor_singles', 'singles_cos', 'dcor_first', 'dcor_second', 'dominance', 'eq_contr'] as const
export type GiScoreName = (typeof GI_SCORE_NAMES)[number]

/** One type per pair (the first that holds, in this order: neomorphic, redundant, epistasis, then by magnitude). */
export const GI_TYPES = ['neomorphic', 'redundant', 'epistasis', 'synergy', 'suppression', 'additive'] as const
export type GiType = (typeof GI_TYPES)[number]

/** Each §9 criterion on its own (several can hold for one pair). */
export const GI_CRITERIA = ['synergy', 'strong-synergy', 'suppression', 'additive', 'neomorphic', 'redundant', 'epistasis'] as const
export type GiCriterion = (typeof GI_CRITERIA)[number]

export interface GiThresholds {
  /** the magnitude of an additive pair: magnitude thresholds apply to mag / magReference */
  magReference: number
  /** synergy: mag / ref > this */
  synergy: number
  /** strong synergy: mag / ref > this */
  strongSynergy: number
  /** suppression: mag / ref < this */
  suppression: number
  /** additive: |mag / ref − 1| ≤ this; for the type it wins over synergy and suppression */
  additiveBand: number
  /** neomorphic: corr_fit < this */
  neomorphicCorrFit: number
  /** redundant: dcor > this … */
  redundantDcor: number
  /** … and dcor_singles > this (the singles resemble each other) */
  redundantDcorSingles: number
  /** epistasis: dominance > this */
  epistasisDominance: number
  /**
   * ill-determined fit: |singles_cos| > this. Nearly collinear singles leave c1 and c2 unidentifiable
   * apart (only their combination along the shared direction is), so mag, dominance and the calls
   * that rest on them are not to be trusted. 0.95 is a variance inflation factor of ~10.
   */
  collinearSingles: number
}

export interface GiScores {
  c1: number
  c2: number
  mag: number
  /** mag / magReference, what the magnitude thresholds compare */
  magRelative: number
  corr_fit: number
  dcor: number
  dcor_singles: number
  dcor_first: number
  dcor_second: number
  /** cosine of a and b over the fitted genes; near ±1 the fit cannot tell c1 from c2 (see GiCall.illDetermined) */
  singles_cos: number
  /** |log10(|c1 / c2|)| */
  dominance: number
  eq_contr: number
  /** genes in the fit */
  genes: number
}

export interface GiCall {
  type: GiType
  criteria: GiCriterion[]
  /**
   * the singles are nearly collinear (|singles_cos| > collinearSingles): c1, c2, mag, dominance and
   * the magnitude and epistasis calls are ill-determined. Absent on maps stored before the flag.
   */
  illDetermined?: boolean
}

/** A gene of a pair, search hit or guide-plan row: its status, and for an unseen gene how GO places it (absent on maps stored before). */
export type PairGene = PredictedGeneFlag

/** One pair of a map: predicted scores, and the observed ones when the dataset measured the pair and both singles. */
export interface PairGi {
  /** canonical `A+B` (A < B) */
  condition: string
  genes: [PairGene, PairGene]
  /** genes of the pair the run saw in training (0, 1, 2) */
  seen: number
  /** null when the fit had nothing to work with (see `note`) */
  scores: GiScores | null
  call: GiCall | null
  /** mean predicted SD of the pair over the fitted genes; null without the uncertainty head */
  uncertainty: number | null
  observed: { scores: GiScores | null; call: GiCall | null } | null
  note?: string
}

export interface GiSettings {
  thresholds: GiThresholds
  expressionThreshold: number
  maxSubsamples: number
  seed: number
}

export const MAP_SCOPES = ['both', 'placed', 'seen', 'all'] as const
/**
 * `both`: pairs whose two genes the run saw in training (GEARS' own setting for interaction maps);
 * `placed` (the default): pairs with at least one such gene whose other gene the run saw too or
 * can place by GO (at least WEAK_PLACEMENT_SHARE of its GO embedding from genes it trained on);
 * `seen`: pairs with at least one seen gene, however weakly the other is placed; `all`: every
 * pair, those with no seen gene kept only under the uncertainty cut
 */
export type MapScope = (typeof MAP_SCOPES)[number]

export interface GiMapSummary {
  mapId: number
  name: string | null
  runId: number
  model: string
  datasetId: number
  datasetName: string
  /** what the genes came from: `typed` or `pathway R-HSA-… (name)` */
  origin: string
  geneCount: number
  pairCount: number
  scope: MapScope
  seconds: number
  createdAt: string
}

export interface GiMap extends GiMapSummary {
  /** the run, dataset and app the predictions came from (without the per-gene arrays: `genes` and `controlMean` are empty) */
  source: PredictionSource
  settings: GiSettings
  /** the genes of the map, in the order given */
  geneList: PairGene[]
  /** genes asked for that the run cannot predict (pathway picks skip them; typed sets are refused instead) */
  skipped: { gene: string; reason: string }[]
  /** the uncertainty cut applied to pairs with no seen gene (scope `all`); null when none */
  maxUncertainty: number | null
  /** pairs left out by the scope (see MapScope) or the uncertainty cut */
  excluded: number
  pairs: PairGi[]
  /** single perturbations: the run's predicted change summary */
  singles: { gene: string; status: GeneStatus; uncertainty: number | null; measured: boolean }[]
  warnings: string[]
  /** where the time went: waiting for predictions (the worker ran ahead while pairs were scored) and scoring pairs */
  timing: { predictWaitSeconds: number; scoreSeconds: number }
}

export interface MapEstimate {
  runId: number
  genes: number
  pairs: number
  scope: MapScope
  /** pairs the scope leaves out */
  left: number
  /** conditions to predict (pairs in scope + singles) */
  conditions: number
  seconds: number
  needsConfirmation: boolean
  /** the cost in words (mapCostText), for API callers; the app words its own from the fields */
  message: string
}

/** What a target search over many pairs will cost. */
export interface SearchEstimate {
  runId: number
  genes: number
  pairs: number
  /** perturbations to predict (singles + pairs) */
  conditions: number
  seconds: number
}

/** The `details` of a `design.confirm-needed` refusal: what the map or search asked for would cost. */
export type ConfirmNeeded = { kind: 'map'; estimate: MapEstimate } | { kind: 'search'; estimate: SearchEstimate }

/** The estimate a `design.confirm-needed` refusal carries; null for any other error. */
export function confirmNeededOf(err: unknown): ConfirmNeeded | null {
  return err instanceof AppError && err.code === 'design.confirm-needed' && err.details ? (err.details as ConfirmNeeded) : null
}

export interface ObservedGi {
  datasetId: number
  datasetName: string
  settings: GiSettings
  /** measured pairs whose two singles were measured too */
  pairs: (Omit<PairGi, 'genes' | 'seen' | 'uncertainty' | 'observed'> & { genes: [string, string]; cells: number })[]
  /** measured pairs left out, with why */
  skipped: { condition: string; reason: string }[]
}

// ── target-phenotype search ─────────────────────────────────────────────────────────

export interface SearchHit {
  condition: string
  genes: PairGene[]
  /**
   * 1-based rank, shared by every member of a tie (competition ranking: after a tie of 19 at rank 1
   * comes rank 20). Candidates tie when their scores differ by no more than the result's
   * `tieTolerance`; within a tie they are listed alphabetically, not by score.
   */
  rank: number
  /** id of the tie group (SearchResult.ties) the hit belongs to; null when no other candidate ties with it */
  tie: number | null
  cosine: number
  /** null when the signature has no spread (e.g. only genes up) */
  pearson: number | null
  /** signature genes that entered the score */
  genesScored: number
  uncertainty: number | null
  /** the signature genes it moves most in the target's direction */
  topMatches: { gene: string; target: number; predicted: number }[]
}

export interface SearchResult {
  runId: number
  source: PredictionSource
  rankBy: 'cosine' | 'pearson'
  /** signature genes measured in the dataset (the ones scored) */
  signatureGenes: number
  /** signature genes the dataset does not measure (left out), first 50 */
  unmatched: string[]
  unmatchedCount: number
  candidates: number
  /** the top hits; a tie that straddles the cut is kept whole, so there can be more than `top` */
  hits: SearchHit[]
  /** scores this close (absolute difference of the ranking score) tie: the search cannot tell the candidates apart */
  tieTolerance: number
  /** the tie groups among `hits`, best first */
  ties: SearchTie[]
  seconds: number
}

/** Candidates the search cannot tell apart: their scores lie within `tieTolerance`. */
export interface SearchTie {
  tie: number
  /** the shared rank */
  rank: number
  /** the members, alphabetically */
  conditions: string[]
  /** lowest and highest ranking score in the group */
  scoreRange: [number, number]
  /** every member has the same predicted change on the scored signature genes (the run predicts them alike, not merely similarly) */
  identical: boolean
}

// ── guide plan ─────────────────────────────────────────────────────────────────────

/**
 * How far a guide lowered its target's own expression: the target's mean in the guide's cells
 * against control cells (of the same replicate for a replicate's entry).
 */
export interface Knockdown {
  /** cells with the guide (in this replicate) */
  cells: number
  controlCells: number
  /** mean log-normalised expression in the guide's cells minus in control cells */
  change: number
  /** standard error of `change` (Welch); null with fewer than two cells on a side */
  se: number | null
  /** the target's mean normalised expression (counts per cell, before log1p) as a share of control's: 0.3 = 70 % knocked down */
  remaining: number | null
}

export interface GuideEfficiency {
  /** the guide id as the screen wrote it (`STAT1g2`) */
  guide: string
  /** cells carrying it with the gene perturbed alone */
  cells: number
  /** over all replicates; null when the target's own expression is not measured */
  knockdown: Knockdown | null
  /** per replicate, in the screen's replicate order; empty without a replicate column or without the target's expression */
  replicates: (Knockdown & { replicate: string })[]
}

/** The guides a screen used against one gene of the plan. */
export interface GeneGuides {
  gene: string
  /** the screen has cells with this gene perturbed alone */
  targeted: boolean
  /** the gene's own expression is among the dataset's genes, so knockdown can be measured */
  expressionMeasured: boolean
  /** all cells of the gene alone, every guide together; null when not targeted or not measured */
  knockdown: Knockdown | null
  /** by cells, most first */
  guides: GuideEfficiency[]
  /** what a reader should know, in words (never targeted; expression not measured; no guide ids kept) */
  note: string | null
}

/** Where the plan's guide lists came from. */
export interface PlanGuideSource {
  /** the dataset's per-cell guide column; null when it has none (see `note`) */
  guideColumn: string | null
  replicateColumn: string | null
  /** the replicates, in the screen's order */
  replicates: string[]
  controlCells: number
  /** why there are no guides, when there are none */
  note: string | null
}

export interface GuidePlanRow {
  condition: string
  genes: PairGene[]
  /** per gene of the perturbation, the guides the screen used against it and their knockdown */
  guides: GeneGuides[]
  /** pairs only */
  scores: GiScores | null
  call: GiCall | null
  uncertainty: number | null
  topChanges: { gene: string; change: number }[]
  measured: boolean
}

export interface GuidePlan {
  runId: number
  mapId: number | null
  source: PredictionSource
  settings: GiSettings
  guideSource: PlanGuideSource
  rows: GuidePlanRow[]
}

// ── inputs ─────────────────────────────────────────────────────────────────────────

/** Genes as typed or pasted (commas, spaces, semicolons, tabs or lines between them) or as a list. Duplicates are refused by the service, naming them. */
export const geneListSchema = z
  .union([z.string().max(100_000), z.array(z.string().max(100)).max(GI_DEFAULTS.maxGenes * 2)], { error: 'Genes are text like "A, B, C" or a list of gene symbols' })
  .transform((v) => (typeof v === 'string' ? v.split(/[\s,;]+/) : v).map((g) => g.trim()).filter((g) => g !== ''))

const positive = (what: string) => z.number({ error: `${what} must be a number` }).positive({ error: `${what} must be above 0` }).finite()

export const giThresholdsSchema = z
  .object({
    magReference: positive('magReference'),
    synergy: positive('synergy'),
    strongSynergy: positive('strongSynergy'),
    suppression: positive('suppression'),
    additiveBand: z.number().min(0).finite(),
    neomorphicCorrFit: z.number().min(-1).max(1),
    redundantDcor: z.number().min(0).max(1),
    redundantDcorSingles: z.number().min(0).max(1),
    epistasisDominance: z.number().min(0).finite(),
    collinearSingles: z.number().min(0).max(1),
  })
  .partial()
  .strict()

const giSettingsInput = {
  thresholds: giThresholdsSchema.optional(),
  expressionThreshold: z.number().finite().optional(),
}

const geneSource = {
  /** typed or pasted genes */
  genes: geneListSchema.optional(),
  /** a Reactome pathway whose genes (with its sub-pathways') the run can predict */
  pathwayId: z.string().trim().min(1).max(40).optional(),
}

export const designMapSchema = z
  .object({
    runId: id('Run id'),
    ...geneSource,
    scope: z.enum(MAP_SCOPES).default('placed'),
    /** scope `all`: pairs with no seen gene are kept when their uncertainty is at most this; `auto`: the median of the pairs with a seen gene */
    maxUncertainty: z.union([positive('maxUncertainty'), z.literal('auto')]).default('auto'),
    ...giSettingsInput,
    /** needed above GI_DEFAULTS.confirmAbovePairs pairs, after reading the estimate */
    confirm: z.boolean().default(false),
    name: z.string().trim().min(1).max(200).optional(),
    jobId: jobId.optional(),
  })
  .strict()
export type DesignMapInput = z.input<typeof designMapSchema>

const signatureSchema = z.union(
  [
    z.object({ up: z.array(z.string().max(100)).max(20_000).default([]), down: z.array(z.string().max(100)).max(20_000).default([]) }).strict(),
    z.object({ profile: z.record(z.string().max(100), z.number().finite()) }).strict(),
    /** a pasted table: gene,value (a differential profile) or gene,direction (up/down) */
    z.object({ text: z.string().min(1).max(5_000_000) }).strict(),
  ],
  { error: 'A signature is {up, down} gene lists, a {profile} of gene → value, or {text} pasted from a CSV' },
)

export const designSearchSchema = z
  .object({
    runId: id('Run id'),
    signature: signatureSchema,
    /** candidates: these genes (default: every gene the run saw in training) */
    ...geneSource,
    /** also rank every pair of the candidate genes */
    pairs: z.boolean().default(true),
    rankBy: z.enum(['cosine', 'pearson']).default('cosine'),
    top: z.number().int().min(1).max(10_000).default(50),
    /** leave each candidate's own genes out of its score (their self effect would match any signature listing them) */
    excludePerturbed: z.boolean().default(true),
    /** candidates whose ranking scores differ by no more than this tie (shown as one group, never ranked against each other) */
    tieTolerance: z.number().min(0).max(1).default(GI_DEFAULTS.searchTieTolerance),
    confirm: z.boolean().default(false),
    jobId: jobId.optional(),
  })
  .strict()
export type DesignSearchInput = z.input<typeof designSearchSchema>

const planInput = {
  runId: id('Run id'),
  /** the map the pairs were shortlisted from (its scores and settings are reused) */
  mapId: id('Map id').optional(),
  /** shortlisted perturbations: `A`, `A+B` */
  items: z.array(z.string().trim().min(1).max(200)).min(1, { error: 'Shortlist at least one perturbation' }).max(500),
  topGenes: z.number().int().min(1).max(100).default(GI_DEFAULTS.planTopGenes),
  ...giSettingsInput,
}

export const HEATMAP_ORDERS = ['given', 'alphabetical', 'clustered'] as const
export type HeatmapOrder = (typeof HEATMAP_ORDERS)[number]

export const designChannels = {
  /** what a map of these genes would cost, before running it */
  'design:estimate': returns<MapEstimate>()(z.object({ runId: id('Run id'), ...geneSource, scope: z.enum(MAP_SCOPES).default('placed') }).strict()),
  /** predicts every pair (and the singles) and scores each; progress and cancel through jobId; stored */
  'design:map': returns<GiMap>()(designMapSchema),
  'design:maps': returns<GiMapSummary[]>()(z.object({ runId: id('Run id').optional() }).strict()),
  'design:get': returns<GiMap>()(z.object({ mapId: id('Map id') }).strict()),
  'design:delete': returns<{ deleted: number }>()(z.object({ mapId: id('Map id') }).strict()),
  /** GI scores of the pairs the dataset measured with both singles */
  'design:observed': returns<ObservedGi>()(z.object({ datasetId: id('Dataset id'), ...giSettingsInput }).strict()),
  'design:search': returns<SearchResult>()(designSearchSchema),
  /** the guide plan's rows (what the CSV holds) */
  'design:plan': returns<GuidePlan>()(z.object(planInput).strict()),
  /** the guide plan as CSV (+ `<name>.provenance.txt`) or Excel (+ Provenance sheet), saved like export:save */
  'design:export-plan': returns<ExportSaved>()(
    z.object({ ...planInput, format: z.enum(['csv', 'xlsx'], { error: 'The format is csv or xlsx' }).default('csv'), fileName: z.string().min(1).max(200).optional() }).strict(),
  ),
  /** a stored pair map as a table (every pair, all scores and calls): CSV (+ provenance sidecar) or Excel */
  'design:export-map': returns<ExportSaved>()(
    z.object({ mapId: id('Map id'), format: z.enum(['csv', 'xlsx'], { error: 'The format is csv or xlsx' }).default('csv'), fileName: z.string().min(1).max(200).optional() }).strict(),
  ),
  /** a map's heatmap (genes × genes coloured by a score) as PNG or SVG, saved like export:save */
  'design:export-heatmap': returns<ExportSaved>()(
    z
      .object({
        mapId: id('Map id'),
        score: z.enum(GI_SCORE_NAMES).default('mag'),
        order: z.enum(HEATMAP_ORDERS).default('given'),
        format: z.enum(['png', 'svg'], { error: 'The format is png or svg' }).default('png'),
        fileName: z.string().min(1).max(200).optional(),
      })
      .strict(),
  ),
} as const
