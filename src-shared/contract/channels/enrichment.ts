import { z } from 'zod'
import { id } from '../names'
import { returns } from './define'

/**
 * Pathway overlay and enrichment channels: a condition's change per gene — observed (a measured
 * condition of a dataset) or predicted (a saved prediction) — laid over a Reactome pathway's
 * member genes, and its changed genes tested for over-representation in every pathway
 * (hypergeometric upper tail, the dataset's measured genes as background, Benjamini–Hochberg).
 */

/** Where the per-gene changes come from: a saved prediction, or a condition a dataset measured. */
export type ChangeSourceInput = { predictionId: number } | { datasetId: number; condition: string }

export interface ChangeSource {
  kind: 'prediction' | 'measured'
  predictionId: number | null
  runId: number | null
  /** the run's name or model, for a prediction */
  runLabel: string | null
  datasetId: number
  datasetName: string
  /** canonical condition, `STAT1+ctrl` or `A+B` */
  condition: string
  /** one line for captions: "observed in Papalexi (STAT1+ctrl)" */
  label: string
  /** the knowledge release a prediction was made with, when it says */
  knowledgeRelease: string | null
}

/** What the source pickers offer for one dataset. */
export interface ChangeSources {
  datasetId: number
  /** perturbed conditions the dataset measured, most cells first */
  measured: { condition: string; cells: number }[]
  /** saved predictions of the dataset's finished runs, newest first */
  predictions: { predictionId: number; runId: number; runLabel: string; condition: string; measured: boolean; createdAt: string }[]
}

export interface OverlayGene {
  gene: string
  /** change vs control (log-normalised expression); null when the dataset did not measure the gene */
  change: number | null
  /** the gene as the dataset names it, when that differs (an alias renamed by the knowledge base) */
  datasetName?: string
}

export interface PathwayOverlay {
  source: ChangeSource
  release: string
  pathwayId: string
  /** every member gene of the pathway and its sub-pathways, in the pathway's order */
  genes: OverlayGene[]
  /** member genes the dataset measured */
  measured: number
  /** the colour scale's half-range: the largest |change| of the measured member genes other than the perturbed ones (at least 0.05) */
  maxAbs: number
}

export const ENRICHMENT_DEFAULTS = {
  direction: 'both',
  /** the changed genes: at most this many, by |change| */
  top: 50,
  /** …and only those with at least this |change| (log-normalised expression) */
  minAbsChange: 0.1,
  /** pathways with fewer measured member genes are not tested */
  minSize: 3,
} as const

export type EnrichmentDirection = 'both' | 'up' | 'down'

export interface EnrichmentOptions {
  direction: EnrichmentDirection
  top: number
  minAbsChange: number
  minSize: number
}

export interface EnrichedPathway {
  id: string
  name: string
  depth: number
  /** changed genes in the pathway (k) */
  found: number
  /** measured genes in the pathway: the draws that could have been found (K) */
  measured: number
  /** member genes of the pathway and its sub-pathways, measured or not */
  size: number
  /** found genes expected by chance: n·K/N */
  expected: number
  /** hypergeometric P(X ≥ found) */
  p: number
  /** Benjamini–Hochberg over every tested pathway */
  padj: number
  /** the found genes, largest |change| first */
  genes: string[]
}

export interface EnrichmentResult {
  source: ChangeSource
  release: string
  options: EnrichmentOptions
  /** measured genes of the dataset */
  measuredGenes: number
  /** measured genes listed by at least one Reactome pathway: the background (N) */
  background: number
  /** the changed genes (the query list), largest |change| first; `inPathways` = in the background */
  changed: { gene: string; change: number; inPathways: boolean }[]
  /** changed genes in the background (n) */
  changedInBackground: number
  /** pathways with at least `minSize` measured member genes */
  tested: number
  /** tested pathways with at least one changed gene, smallest p first */
  pathways: EnrichedPathway[]
}

const releaseLabel = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: 'Release must be 1–64 letters, digits, dots, dashes or underscores' })
const pathwayId = z.string().trim().min(1, { error: 'Pathway id must not be empty' }).max(40)
export const changeSourceSchema = z.union(
  [
    z.object({ predictionId: id('Prediction id') }).strict(),
    z.object({ datasetId: id('Dataset id'), condition: z.string().trim().min(1, { error: 'Condition must not be empty' }).max(500) }).strict(),
  ],
  { error: 'Give a saved prediction ({ predictionId }) or a measured condition ({ datasetId, condition })' },
)

export const enrichmentOptionsSchema = z
  .object({
    direction: z.enum(['both', 'up', 'down']).default(ENRICHMENT_DEFAULTS.direction),
    top: z.number().int().min(1, { error: 'top must be at least 1' }).max(5000).default(ENRICHMENT_DEFAULTS.top),
    minAbsChange: z.number().min(0, { error: 'minAbsChange must be 0 or more' }).max(100).default(ENRICHMENT_DEFAULTS.minAbsChange),
    minSize: z.number().int().min(1, { error: 'minSize must be at least 1' }).max(5000).default(ENRICHMENT_DEFAULTS.minSize),
  })
  .strict()

export const enrichmentChannels = {
  /** Measured conditions and saved predictions of a dataset, for the source pickers. */
  'enrichment:sources': returns<ChangeSources>()(z.object({ datasetId: id('Dataset id') }).strict()),
  /** A pathway's member genes with the source's change (null = not measured). */
  'enrichment:overlay': returns<PathwayOverlay>()(z.object({ release: releaseLabel.optional(), id: pathwayId, source: changeSourceSchema }).strict()),
  /** Over-representation of the source's changed genes in every Reactome pathway. */
  'enrichment:run': returns<EnrichmentResult>()(
    z.object({ release: releaseLabel.optional(), source: changeSourceSchema, options: enrichmentOptionsSchema.default(enrichmentOptionsSchema.parse({})) }).strict(),
  ),
} as const
