import { z } from 'zod'
import { id } from '../names'
import { returns } from './define'
import type { RunMetrics, RunTestGroup, TrainableName } from './training'
import type { ExportSaved } from './exports'

/**
 * Prediction channels: predict any gene set with a finished run (mean expression and change over
 * control for every measured gene, docs/ml-engine.md §3: paired control + Δ), the perturbable genes for
 * the picker, and the prediction history (stored with the run; re-opening one shows the same
 * figure without recomputing). Per-gene arrays are aligned with `genes` of the result.
 */

/** How the run knows a gene of the set: trained on it alone / only in combinations / not at all but the knowledge graph places it. */
export const GENE_STATUSES = ['seen-single', 'seen-combo', 'unseen-in-knowledge'] as const
export type GeneStatus = (typeof GENE_STATUSES)[number]

export const PREDICT_DEFAULTS = {
  /** control cells averaged for the base where the model needs cells (BioDSNN's VAE) */
  controlCells: 300,
  seed: 1,
  /** conditions per predict:run call (more go through the service's batch API) */
  maxConditions: 100,
  /** DE genes shown with their observed per-cell change */
  topDe: 20,
} as const

const CTRL = /^ctrl$/i

/** `A+B`, `B+A` and `['A','B']` are one set: trimmed, `ctrl` tokens dropped, duplicates merged. */
function toGeneList(v: string | string[]): string[] {
  const tokens = typeof v === 'string' ? v.split('+') : v
  const out: string[] = []
  for (const t of tokens) {
    const g = t.trim()
    if (g && !CTRL.test(g) && !out.includes(g)) out.push(g)
  }
  return out
}

/** A gene set as `A+B` or `["A", "B"]`; an empty set is refused by the service with `predict.empty-set`. */
export const geneSetSchema = z
  .union([z.string({ error: 'A gene set is text like "A+B" or a list of gene symbols' }).max(2000), z.array(z.string().max(100)).max(100)], {
    error: 'A gene set is text like "A+B" or a list of gene symbols',
  })
  .transform(toGeneList)

export const predictRunSchema = z
  .object({
    runId: id('Run id'),
    conditions: z
      .array(geneSetSchema)
      .min(1, { error: 'Give at least one gene set to predict' })
      .max(PREDICT_DEFAULTS.maxConditions, { error: `At most ${PREDICT_DEFAULTS.maxConditions} gene sets per request` }),
    /** control cells sampled (seeded) for a base that needs cells; `all` uses every control cell */
    controlCells: z
      .union([z.number().int().min(1, { error: 'Control cells must be at least 1' }).max(1_000_000), z.literal('all')], { error: 'Control cells is a number of at least 1, or "all"' })
      .default(PREDICT_DEFAULTS.controlCells),
    seed: z.number().int().min(0, { error: 'The seed must be 0 or more' }).default(PREDICT_DEFAULTS.seed),
    /** keep each condition in the run's prediction history */
    save: z.boolean().default(true),
  })
  .strict()
export type PredictRunInput = z.input<typeof predictRunSchema>

// ── outputs ──────────────────────────────────────────────────────────────────────────

export interface PredictedGeneFlag {
  gene: string
  status: GeneStatus
  /** for an unseen gene placed by the GO graph (models, not baselines): how much of what places it the run trained on */
  placedBy?: GoPlacement
}

/**
 * How an unseen gene's perturbation embedding is made (docs/ml-engine.md §3 step 2: one SGConv hop over
 * the GO graph, self-loop included): `share` is the part of its normalised weights that comes
 * from genes the run trained on, `anchors` those genes with their weights (largest first, at
 * most 5). The rest comes from the gene's own row and partners the run never trained on.
 */
export interface GoPlacement {
  share: number
  anchors: { gene: string; weight: number }[]
}

/** The observation of a condition the dataset measured. */
export interface MeasuredCondition {
  cells: number
  /** where the run's split put it; null when the split left it out */
  subset: 'train' | 'val' | 'test' | null
  testGroup: RunTestGroup | null
  /** mean observed − control mean, per gene */
  observedChange: number[]
  /** the condition's top DE genes (docs/ml-engine.md §7: first 20 of the ranking) with the observed change of every cell */
  de: { genes: string[]; index: number[]; cellChanges: number[][] }
  /** §7 metrics of this prediction against the observation */
  metrics: RunMetrics
  /** what the run stored for it at its test evaluation (test conditions only) */
  storedMetrics: RunMetrics | null
}

export interface ConditionPrediction {
  /** the history entry, when saved */
  predictionId: number | null
  /** canonical: `A+ctrl`, `A+B` (sorted) */
  condition: string
  /** each gene of the set with how the run knows it */
  flags: PredictedGeneFlag[]
  /** predicted mean expression per gene */
  mean: number[]
  /** predicted mean − control mean per gene */
  change: number[]
  /** per-gene standard deviation from the uncertainty head, when the run has it */
  sd: number[] | null
  measured: MeasuredCondition | null
  /** where the prediction comes from (absent in predictions stored before it was recorded) */
  origin?: PredictionOrigin
  /** the kind of condition for this run (a test-group name: how many of its genes the run trained on); null for a gene set the run trained on */
  group?: RunTestGroup | null
  /** `no-pair-trained`: larger than any gene set the screen measured (e.g. a pair from a screen of singles) */
  setFlags?: SetFlag[]
  /** sets of two or more genes: the sum of the run's predicted changes of each gene alone (the additive expectation), per gene */
  additiveChange?: number[] | null
}

/**
 * Where a prediction comes from (docs/ml-engine.md §11): `measured` — the gene was measured alone in
 * training and the run returns that measurement; `prior` — the knowledge prior alone (the network
 * adds nothing on this screen, or cannot place a gene of the set); `model` — the network (with a
 * residual run, the prior plus the network's correction); `baseline` — a baseline run.
 */
export const PREDICTION_ORIGINS = ['measured', 'prior', 'model', 'baseline'] as const
export type PredictionOrigin = (typeof PREDICTION_ORIGINS)[number]
export const SET_FLAGS = ['no-pair-trained'] as const
export type SetFlag = (typeof SET_FLAGS)[number]

/** Where a prediction came from: enough for the figure's caption and an export's provenance. */
export interface PredictionSource {
  runId: number
  runName: string | null
  model: TrainableName
  /** the run's training seed */
  trainingSeed: number
  bestEpoch: number | null
  projectId: number
  datasetId: number
  datasetName: string
  knowledgeRelease: string | null
  appVersion: string
  /**
   * `control-mean`: c̄ + Δ, exact for models whose base is the control mean (GEARS, baselines);
   * `sampled-controls`: the mean over `controlCellsUsed` sampled control cells (seeded), + Δ.
   */
  base: 'control-mean' | 'sampled-controls'
  controlCells: number | 'all'
  controlCellsUsed: number
  seed: number
  /** measured genes, in dataset order: the axis of every per-gene array */
  genes: string[]
  controlMean: number[]
  createdAt: string
}

export interface PredictResult extends PredictionSource {
  conditions: ConditionPrediction[]
}

export interface PerturbableGene {
  gene: string
  status: GeneStatus
  /** Reactome pathways listing the gene; null without a knowledge release */
  pathways: number | null
  /** the gene is also a measured gene (its own expression can be shown) */
  measured: boolean
}

export interface PredictGenes {
  runId: number
  model: TrainableName
  knowledgeRelease: string | null
  /** largest gene set this run predicts */
  maxSetSize: number
  /** largest gene set the dataset measured: larger sets are predicted without a measured example (`no-pair-trained`) */
  measuredSetSize: number
  genes: PerturbableGene[]
}

export interface PredictionListItem {
  id: number
  runId: number
  condition: string
  flags: PredictedGeneFlag[]
  measured: boolean
  controlCells: number | 'all'
  seed: number
  /** genes with the largest predicted |change| (3) */
  topChanges: { gene: string; change: number }[]
  createdAt: string
}

export const PREDICTION_VIEWS = ['auto', 'de', 'top'] as const
export type PredictionView = (typeof PREDICTION_VIEWS)[number]

export const predictChannels = {
  'predict:run': returns<PredictResult>()(predictRunSchema),
  'predict:genes': returns<PredictGenes>()(z.object({ runId: id('Run id') }).strict()),
} as const

export const predictionChannels = {
  'prediction:list': returns<PredictionListItem[]>()(z.object({ runId: id('Run id'), limit: z.number().int().min(1).max(10_000).default(500) }).strict()),
  /** one stored condition as a PredictResult with one condition */
  'prediction:get': returns<PredictResult>()(z.object({ id: id('Prediction id') }).strict()),
  'prediction:delete': returns<{ deleted: number }>()(z.object({ id: id('Prediction id') }).strict()),
  /**
   * A stored prediction rendered and saved by the core, identical to the CLI's files: `png`/`svg`
   * the figure (`auto`: GEARS-style DE view when measured, else top changes), `csv` the per-gene
   * table (with its provenance sidecar `<name>.provenance.txt`), `xlsx` the same table as an Excel
   * workbook with a Provenance sheet, `json` the prediction. Saved like export:save (dialog / download / data folder).
   */
  'prediction:export': returns<ExportSaved>()(
    z
      .object({
        id: id('Prediction id'),
        format: z.enum(['csv', 'xlsx', 'png', 'svg', 'json'], { error: 'The format is csv, xlsx, png, svg or json' }),
        view: z.enum(PREDICTION_VIEWS).default('auto'),
        fileName: z.string().min(1).max(200).optional(),
      })
      .strict(),
  ),
} as const
