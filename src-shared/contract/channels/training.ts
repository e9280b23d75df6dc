import { z } from 'zod'
import { displayName, id } from '../names'
import type { RunStatus, RunSummary } from '../types'
import { defaultHidden, TRAIN_DEFAULTS } from '../../domain/train-defaults'
import type { GroupVerdict } from '../../domain/verdict'
import { none, returns } from './define'

/**
 * Training channels: start, cancel and resume runs (trained in one worker thread, one at a time,
 * the rest queued), estimate a setup's time and memory, list, show, compare and delete runs, and
 * list the compute backends. Models and baselines are both runs; baselines are fitted on the
 * same dataset and split beside every model run so comparisons always have them.
 * The names below mirror `src-main/ml/engine-types.ts` (src-shared cannot import it; the
 * training service checks at compile time that both lists agree).
 */

export const TRAIN_MODELS = ['gears', 'biodsnn', 'biodsnn-no-vae', 'biodsnn-no-attention', 'biodsnn-no-mask'] as const
export const TRAIN_BASELINES = ['no_perturb', 'train_mean', 'additive', 'train_mean_self', 'knowledge_prior', 'linear'] as const
export const TRAINABLE = [...TRAIN_MODELS, ...TRAIN_BASELINES] as const
export type TrainModel = (typeof TRAIN_MODELS)[number]
export type TrainBaseline = (typeof TRAIN_BASELINES)[number]
export type TrainableName = (typeof TRAINABLE)[number]

export const COMPUTE_BACKENDS = ['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'] as const
export type ComputeBackend = (typeof COMPUTE_BACKENDS)[number]

export const SPLIT_KINDS = ['simulation', 'single', 'custom'] as const
export type SplitKindName = (typeof SPLIT_KINDS)[number]

export const RUN_TEST_GROUPS = ['unseen_single', 'combo_seen0', 'combo_seen1', 'combo_seen2'] as const
export type RunTestGroup = (typeof RUN_TEST_GROUPS)[number]

/** docs/ml-engine.md §7, in display order; `pearson_delta` is the headline. */
export const RUN_METRICS = [
  'mse',
  'pearson',
  'mse_de',
  'pearson_de',
  'pearson_delta',
  'pearson_delta_de',
  'pearson_delta_centroid',
  'frac_opposite_direction_top20_non_dropout',
  'mse_top20_de_non_dropout',
  'frac_in_range_45_55',
] as const
export type RunMetricName = (typeof RUN_METRICS)[number]
export type RunMetrics = Record<RunMetricName, number>

// ── inputs ───────────────────────────────────────────────────────────────────────────

/**
 * What a model's network is added to (docs/ml-engine.md §11.2): `knowledge` — the compositional prior, the
 * `knowledge_prior` baseline, so the network learns only what the prior misses (the default);
 * `none` — the papers' formulations, where the network predicts the whole change.
 */
export const MODEL_PRIORS = ['knowledge', 'none'] as const
/**
 * The perturbation graph(s) GEARS step 2 places genes with (docs/ml-engine.md §2): GO (the paper's),
 * Reactome (genes sharing a lowest-level pathway) or both (two hops summed); `auto` lets the run
 * choose by the knowledge prior's validated Reactome share.
 */
export const PERT_GRAPHS = ['auto', 'go', 'reactome', 'both'] as const
export type PertGraphOption = (typeof PERT_GRAPHS)[number]
/** The graph(s) a model run used, once `auto` is resolved. */
export type RunPertGraph = Exclude<PertGraphOption, 'auto'>
export type ModelPrior = (typeof MODEL_PRIORS)[number]

// The type-level message answers only a value of the wrong type: given as a plain string, zod
// would also use it for every check without its own message (`--hidden 0` read "must be a number").
const notANumber = (what: string) => (iss: { code: string }) => (iss.code === 'invalid_type' ? `${what} must be a number` : undefined)
const int = (what: string) => z.number({ error: notANumber(what) }).int({ error: `${what} must be a whole number` })
const positive = (what: string) => z.number({ error: notANumber(what) }).positive({ error: `${what} must be positive` })
const HIDDEN_RULE = 'The hidden size must be an even whole number from 2 to 1024 (two attention heads)'

const splitSchema = z
  .object({
    kind: z.enum(SPLIT_KINDS, { error: `The split is one of ${SPLIT_KINDS.join(', ')}` }).default('simulation'),
    seed: int('The split seed').min(0, { error: 'The split seed must be 0 or more' }).default(1),
    /** `custom` only: condition → subset; conditions not listed are left out */
    assignment: z.record(z.string().min(1).max(500), z.enum(['train', 'val', 'test'])).optional(),
  })
  .strict()
  .refine((s) => s.kind !== 'custom' || (s.assignment && Object.values(s.assignment).includes('train') && Object.values(s.assignment).includes('test')), {
    error: 'A custom split needs an assignment with at least one train and one test condition',
  })
  .refine((s) => s.kind === 'custom' || s.assignment === undefined, { error: 'Only a custom split takes an assignment' })

const scheduleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('reference') }).strict(),
  z.object({ kind: z.literal('step'), every: int('The schedule step').min(1).max(1000), factor: positive('The schedule factor').max(1) }).strict(),
  z.object({ kind: z.literal('cosine'), minLr: z.number().min(0) }).strict(),
])

const lossSchema = z
  .object({
    gamma: z.number().min(0).max(10).default(TRAIN_DEFAULTS.loss.gamma),
    lambdaDirection: z.number().min(0).max(100).default(TRAIN_DEFAULTS.loss.lambdaDirection),
    direction: z.enum(['tanh', 'sign']).default(TRAIN_DEFAULTS.loss.direction),
    tanhK: positive('tanhK').max(1000).default(TRAIN_DEFAULTS.loss.tanhK),
    betaKl: z.number().min(0).max(100).default(TRAIN_DEFAULTS.loss.betaKl),
    betaReconstruction: z.number().min(0).max(100).default(TRAIN_DEFAULTS.loss.betaReconstruction),
  })
  .strict()

const maskLevelSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('l1') }).strict(),
  z.object({ kind: z.literal('max-genes'), maxGenes: int('maxGenes').min(1) }).strict(),
])

/** Everything a run is configured with; defaults fill what the caller leaves out. */
export const trainSetupSchema = z
  .object({
    datasetId: id('Dataset id'),
    model: z.enum(TRAINABLE, { error: (iss) => `Unknown model "${String(iss.input)}"; choose one of ${TRAINABLE.join(', ')}` }),
    /** a label for the run list */
    name: displayName('Run name').optional(),
    split: splitSchema.default({ kind: 'simulation', seed: 1 }),
    seed: int('The seed').min(0, { error: 'The seed must be 0 or more' }).default(TRAIN_DEFAULTS.seed),
    epochs: int('Epochs').min(1, { error: 'Epochs must be at least 1' }).max(1000, { error: 'Epochs must be at most 1000' }).default(TRAIN_DEFAULTS.epochs),
    batchConditions: int('Conditions per batch').min(2, { error: 'Conditions per batch must be at least 2 (BatchNorm over conditions needs two)' }).max(4096).default(TRAIN_DEFAULTS.batchConditions),
    cellsPerCondition: z
      .union([int('Cells per condition').min(1, { error: 'Cells per condition must be at least 1' }).max(1_000_000), z.literal('all')], {
        error: 'Cells per condition is a number of at least 1, or "all"',
      })
      .default(TRAIN_DEFAULTS.cellsPerCondition),
    hidden: z
      .number({ error: notANumber('The hidden size') })
      .int({ error: HIDDEN_RULE })
      .min(2, { error: HIDDEN_RULE })
      .max(1024, { error: HIDDEN_RULE })
      .refine((h) => h % 2 === 0, { error: HIDDEN_RULE })
      /** left out: `defaultHidden(model)` */
      .optional(),
    lr: positive('The learning rate').max(1).default(TRAIN_DEFAULTS.lr),
    weightDecay: z.number().min(0).max(1).default(TRAIN_DEFAULTS.weightDecay),
    schedule: scheduleSchema.default({ ...TRAIN_DEFAULTS.schedule }),
    gradClip: positive('Gradient clipping').default(TRAIN_DEFAULTS.gradClip),
    loss: lossSchema.default({ ...TRAIN_DEFAULTS.loss }),
    selfEffect: z.boolean().default(TRAIN_DEFAULTS.selfEffect),
    uncertainty: z.boolean().default(TRAIN_DEFAULTS.uncertainty),
    uncertaintyReference: z.boolean().default(TRAIN_DEFAULTS.uncertaintyReference),
    maskLevel: maskLevelSchema.default({ kind: 'l1' }),
    prior: z.enum(MODEL_PRIORS, { error: `The prior is one of ${MODEL_PRIORS.join(', ')}` }).default(TRAIN_DEFAULTS.prior),
    pertGraph: z.enum(PERT_GRAPHS, { error: `The perturbation graph is one of ${PERT_GRAPHS.join(', ')}` }).default('auto'),
    /** force a compute backend; without it the worker picks the best available */
    backend: z.enum(COMPUTE_BACKENDS, { error: `The backend is one of ${COMPUTE_BACKENDS.join(', ')}` }).optional(),
    /** worker threads each step's conditions are split over on a one-core backend (wasm, cpu); left out: one per core, stored with the run */
    workers: int('Worker threads').min(1, { error: 'Worker threads must be at least 1' }).max(64, { error: 'Worker threads must be at most 64' }).optional(),
  })
  .strict()
  .transform((s) => ({ ...s, hidden: s.hidden ?? defaultHidden(s.model) }))

export type TrainSetupInput = z.input<typeof trainSetupSchema>
/** A setup with every default applied: what is stored as the run's config. */
export type TrainSetup = z.output<typeof trainSetupSchema>

// ── outputs ──────────────────────────────────────────────────────────────────────────

/** The compute backend a run used (engine `BackendInfo`). */
export interface RunBackend {
  backend: ComputeBackend
  /** the tfjs engine's name (`tensorflow`, `webgpu`, `wasm`, `cpu`) */
  engineBackend: string
  /** CPU model, or the GPU name (webgpu: the adapter's description, vendor and architecture) */
  device: string
  /** webgpu: the adapter the run computed on, as Dawn reports it; `software` for lavapipe, SwiftShader and other CPU fallbacks */
  adapter?: RunAdapter
  versions: { tfjs: string; backendPackage: string | null }
  simd?: boolean
  threads?: number
  customKernels: string[]
  /** backends tried first and why they were skipped */
  fallbacks: { backend: ComputeBackend; reason: string }[]
}

/** A WebGPU adapter (`GPUAdapterInfo`). */
export interface RunAdapter {
  vendor: string
  architecture: string
  description: string
  software: boolean
}

/** Live progress of a running epoch (engine `TrainProgress`), at most ~10 per second. */
export interface RunProgress {
  epoch: number
  epochs: number
  step: number
  stepsPerEpoch: number
  /** loss by term (autofocus, direction, kl, reconstruction, nll, total), running mean over the epoch */
  losses: Record<string, number>
  conditionsPerSecond: number
  cellsPerSecond: number
  etaSeconds: number
  lr: number
  memory: { rssMb: number; wasmHeapMb?: number; gpuMb?: number }
}

export interface RunEpoch {
  epoch: number
  seconds: number
  losses: Record<string, number>
  /** validation metrics of this epoch */
  val: RunMetrics
  lr: number
  /** residual models (docs/ml-engine.md §11.3): the share α of the network's correction kept for single genes, chosen on validation */
  alpha?: number
  /** the same for gene sets of two or more */
  alphaPairs?: number
}

/**
 * How a residual run on a small screen chose its epoch and α (docs/ml-engine.md §11.3): K folds of the
 * training and validation genes, each validated by a model trained without it; `errors[e]` is the
 * validation mse_de summed over folds and conditions after epoch e (0 = the prior) at each α of
 * `alphas`, for single genes and for larger sets.
 */
export interface RunSelection {
  kind: 'cross-validation'
  folds: string[][]
  epoch: number
  alpha: { single: number; pairs: number }
  errors: { epoch: number; single: number[]; pairs: number[] }[]
}

export interface RunGroupMetrics extends RunMetrics {
  /** conditions in the group */
  n: number
  /** mse_de ÷ the no_perturb baseline's mse_de on the same conditions */
  mse_de_norm: number
}

export interface RunEvaluation {
  overall: RunGroupMetrics
  groups: Partial<Record<RunTestGroup, RunGroupMetrics>>
  perCondition: Record<string, RunMetrics>
  /** test conditions left out, with the reason (e.g. an unseen gene without GO partners) */
  excluded?: Record<string, string>
}

/** The split as saved with the run (docs/ml-engine.md §6). */
export interface RunSplit {
  config: { kind: SplitKindName; seed: number; assignment?: Record<string, 'train' | 'val' | 'test'> }
  train: string[]
  val: string[]
  test: string[]
  testGroups: Record<string, RunTestGroup>
  seenGenes: string[]
}

export interface RunCheckpoint {
  epoch: number
  bytes: number
  sha256: string
  isBest: boolean
  createdAt: string
}

export interface RunListItem extends RunSummary {
  name: string | null
  kind: 'model' | 'baseline'
  startedAt: string | null
  split: { kind: SplitKindName; seed: number }
  seed: number
  epochs: number
  /** epochs finished so far */
  epochsDone: number
  bestEpoch: number | null
  /** backend name once the run started */
  backend: ComputeBackend | null
  /** test `pearson_delta` and `mse_de` over all test conditions, once evaluated */
  headline: { pearson_delta: number; mse_de: number } | null
  /** failed or cancelled with a checkpoint to continue from, and epochs left */
  resumable: boolean
}

/**
 * How a model run compares with the best baseline, per test group and overall (docs/ml-engine.md §11.5):
 * test `mse_de`, paired bootstrap over conditions. `addsNothing`: a residual run whose network
 * was shrunk to nothing (best epoch 0, or α = 0): its predictions are the knowledge prior.
 */
export interface RunVerdict {
  metric: 'mse_de'
  groups: Partial<Record<CompareGroup, GroupVerdict>>
  /** the same comparison against the knowledge_prior baseline alone: did the network beat the prior on this kind of condition */
  vsPrior: Partial<Record<CompareGroup, GroupVerdict>> | null
  addsNothing: boolean
  /** the share α of the network's correction the run keeps for single genes (residual runs) */
  alpha: number | null
  /** the same for sets of two or more genes */
  alphaPairs: number | null
}

export interface RunDetail extends RunListItem {
  config: TrainSetup
  backendInfo: RunBackend | null
  /** the split's condition lists, once the run has started */
  splitDetail: RunSplit | null
  epochLog: RunEpoch[]
  test: RunEvaluation | null
  checkpoints: RunCheckpoint[]
  /** latest progress while running in this process */
  progress: RunProgress | null
  /** position in the queue (1 = next), while queued */
  queuePosition: number | null
  /** model runs with a test evaluation and their split's baselines: how the model compares with the best of them */
  verdict: RunVerdict | null
  /** residual runs on small screens: how cross-validation chose the epoch and α */
  selection: RunSelection | null
  /** model runs: the perturbation graph(s) the run placed genes with (chosen by the run when its setup said `auto`) */
  pertGraph: Exclude<PertGraphOption, 'auto'> | null
}

export interface TrainEstimate {
  /** whole run, all epochs */
  seconds: number
  secondsPerEpoch: number
  /** peak resident memory of the worker */
  memoryMb: number
  /** cells drawn per epoch and conditions in the training part (approximate before the split) */
  trainConditions: number
  cellsPerEpoch: number
  stepsPerEpoch: number
  backend: ComputeBackend
  /** how the figure was obtained: earlier runs on this machine, or a rough model */
  basis: 'history' | 'model'
  /** residual runs on small screens: the folds of the cross-validation the time includes (docs/ml-engine.md §11.3), else null */
  crossValidationFolds: number | null
  note: string
}

export interface BackendAvailability {
  backend: ComputeBackend
  available: boolean
  /** why not, or what it would run on */
  reason: string | null
  device: string | null
  version: string | null
}

export interface BackendList {
  backends: BackendAvailability[]
  /** what a run without `backend` gets */
  auto: ComputeBackend
  /** the worker's backend, once it has started */
  worker: RunBackend | null
}

export const COMPARE_GROUPS = ['overall', ...RUN_TEST_GROUPS] as const
export type CompareGroup = (typeof COMPARE_GROUPS)[number]

export interface CompareRun {
  runId: number
  model: TrainableName
  kind: 'model' | 'baseline'
  name: string | null
  datasetId: number | null
  split: { kind: SplitKindName; seed: number }
  status: RunStatus
  /** true for baselines added because a selected run shares their dataset and split */
  added: boolean
  /**
   * Added baselines only: the selected runs left some test conditions out (genes a model cannot
   * place), so the baseline is scored on the same conditions as they were (this many).
   */
  restrictedTo?: number
}

export interface RunComparison {
  runs: CompareRun[]
  groups: CompareGroup[]
  metrics: (RunMetricName | 'mse_de_norm')[]
  /** one row per run and group that has a test evaluation */
  rows: ({ runId: number; group: CompareGroup; n: number } & Partial<Record<RunMetricName | 'mse_de_norm', number>>)[]
}

export const trainingChannels = {
  'train:start': returns<{ runId: number }>()(trainSetupSchema),
  'train:cancel': returns<{ runId: number; status: RunStatus }>()(z.object({ runId: id('Run id') }).strict()),
  'train:resume': returns<{ runId: number }>()(z.object({ runId: id('Run id') }).strict()),
  'train:estimate': returns<TrainEstimate>()(trainSetupSchema),
} as const

export const runChannels = {
  'run:list': returns<RunListItem[]>()(
    z.object({ projectId: id('Project id').optional(), datasetId: id('Dataset id').optional(), includeBaselines: z.boolean().default(true) }).strict(),
  ),
  'run:get': returns<RunDetail>()(z.object({ id: id('Run id') }).strict()),
  'run:compare': returns<RunComparison>()(
    z.object({ ids: z.array(id('Run id')).min(1, { error: 'Choose at least one run to compare' }).max(50), withBaselines: z.boolean().default(true) }).strict(),
  ),
  'run:delete': returns<{ deleted: number }>()(z.object({ id: id('Run id') }).strict()),
} as const

export const backendChannels = {
  'backend:list': returns<BackendList>()(none),
} as const

// ── events ───────────────────────────────────────────────────────────────────────────

export type TrainProgressEvent = RunProgress & { runId: number }

export interface RunChangedEvent {
  runId: number
  projectId: number
  datasetId: number | null
  /** `deleted` after run:delete */
  status: RunStatus | 'deleted'
  /** set when an epoch has just finished (append it to the charts without refetching) */
  epoch?: RunEpoch
}
