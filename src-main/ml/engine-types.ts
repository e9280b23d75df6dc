/**
 * The ML engine's boundary: what training is given, what it reports and what it returns.
 * `services/training` (runs, worker, database) and `ml/` (models, losses, metrics) meet here,
 * so both sides can be built and tested separately. Plain data only: everything here crosses a
 * worker_threads boundary (structured clone), so no tensors, classes or functions in the data.
 */
import {
  RUN_METRICS,
  RUN_TEST_GROUPS,
  TRAIN_BASELINES,
  TRAIN_MODELS,
  type RunEpoch,
  type RunGroupMetrics,
  type RunMetricName,
  type RunPertGraph,
  type RunProgress,
  type RunSelection,
  type RunTestGroup,
  type SplitKindName,
  type TrainBaseline,
  type TrainModel,
} from '../../src-shared/contract/channels/training'
import type { BackendInfo, BackendName } from './backend'
import type { ParamsArtifact } from './serialize'

// ── what can be trained ──────────────────────────────────────────────────────────────

// The names are declared once, in the contract the UI and the CLI share; the engine's names alias them.
export const MODEL_NAMES = TRAIN_MODELS
export type ModelName = TrainModel

/**
 * What each model name means (docs/ml-engine.md §3–§4): the stage that mixes genes (GEARS' cross-gene MLP,
 * masked sparse attention, or attention over all genes) and whether a VAE regenerates the control
 * cells Δ is added to. The model builder and the prediction service both read it.
 */
export type Mixing = 'cross-gene' | 'masked-attention' | 'full-attention'
export const MODEL_ARCHITECTURES: Record<ModelName, { mixing: Mixing; vae: boolean }> = {
  gears: { mixing: 'cross-gene', vae: false },
  biodsnn: { mixing: 'masked-attention', vae: true },
  'biodsnn-no-vae': { mixing: 'masked-attention', vae: false },
  'biodsnn-no-attention': { mixing: 'cross-gene', vae: true },
  'biodsnn-no-mask': { mixing: 'full-attention', vae: true },
}

/** Baselines of docs/ml-engine.md §8: fitted in closed form, no gradient steps, always reported beside models. */
export const BASELINE_NAMES = TRAIN_BASELINES
export type BaselineName = TrainBaseline

export type Trainable = ModelName | BaselineName

export const TEST_GROUPS = RUN_TEST_GROUPS
export type TestGroup = RunTestGroup

export type SplitKind = SplitKindName

export interface SplitConfig {
  kind: SplitKind
  seed: number
  /** `custom` only: condition → subset; conditions not listed are left out */
  assignment?: Record<string, 'train' | 'val' | 'test'>
}

/** A split as saved with the run (docs/ml-engine.md §6): the condition lists and each test condition's group. */
export interface Split {
  config: SplitConfig
  train: string[]
  val: string[]
  test: string[]
  testGroups: Record<string, TestGroup>
  /** perturbed genes counted as seen (simulation split) */
  seenGenes: string[]
}

export type LrSchedule =
  | { kind: 'reference' } // × 0.5 every epoch (GEARS code)
  | { kind: 'step'; every: number; factor: number }
  | { kind: 'cosine'; minLr: number }

export type PertGraph = RunPertGraph

export interface TrainConfig {
  model: Trainable
  split: SplitConfig
  /** seeds initialisation, cell sampling, dropout and the VAE noise (same backend → same run) */
  seed: number
  epochs: number
  /** conditions per optimisation step */
  batchConditions: number
  /** cells per condition in each step (docs/ml-engine.md §3), or every cell of the condition */
  cellsPerCondition: number | 'all'
  hidden: number
  lr: number
  weightDecay: number
  schedule: LrSchedule
  gradClip: number
  loss: {
    /** autofocus exponent γ */
    gamma: number
    lambdaDirection: number
    /** `tanh`: differentiable direction term (default); `sign`: the reference's, which has no gradient */
    direction: 'tanh' | 'sign'
    tanhK: number
    betaKl: number
    betaReconstruction: number
  }
  /** docs/ml-engine.md §3.8; `--no-self-effect` is the ablation */
  selfEffect: boolean
  /** docs/ml-engine.md §3.7 */
  uncertainty: boolean
  /** the reference's NLL without the `+ log σ²` term */
  uncertaintyReference: boolean
  /** attention mask level (docs/ml-engine.md §2) */
  maskLevel: { kind: 'l1' } | { kind: 'max-genes'; maxGenes: number }
  /** docs/ml-engine.md §11.2: the network adds a correction to the knowledge prior, or (`none`) predicts the change itself; absent = `none` (runs stored before the option) */
  prior?: 'knowledge' | 'none'
  /** the perturbation graph(s) of GEARS step 2 (docs/ml-engine.md §2); `auto` chooses by the prior's validated Reactome share; absent = `go` */
  pertGraph?: PertGraph | 'auto'
  backend?: BackendName
  /** data-parallel training (one-core backends): each step's conditions split over this many worker threads; absent = 1. A run reproduces for a seed and this number. */
  workers?: number
}

// ── what training is given ───────────────────────────────────────────────────────────

/** A CSR matrix as plain typed arrays (cells × genes, log-normalised). */
export interface CsrArrays {
  nRows: number
  nCols: number
  indptr: Int32Array
  indices: Int32Array
  data: Float32Array
}

export interface ConditionData {
  condition: string
  /** perturbed genes (symbols); [] for ctrl */
  genes: string[]
  /** rows of `expression` holding this condition's cells */
  cells: Int32Array
  /** null for ctrl */
  de: {
    ranking: Int32Array
    nonZerosGeneIdx: Int32Array
    nonDropoutGeneIdx: Int32Array
    topNonDropoutDe20: Int32Array
    topNonZeroDe20: Int32Array
  } | null
}

/** Prior knowledge aligned to the dataset; absent parts mean "not available" (models fall back, docs/ml-engine.md §2). */
export interface KnowledgeData {
  release: string | null
  /** perturbation vocabulary (GO-annotated genes ∪ dataset genes), index = row of E_pert */
  pertGenes: string[]
  /** GO perturbation graph over `pertGenes`: top-20 Jaccard partners, weight = Jaccard */
  goEdges: { source: Int32Array; target: Int32Array; weight: Float32Array } | null
  /**
   * Per vocabulary row (`pertGenes`), its sorted GO term ids and lowest-level (L1) Reactome pathway
   * ids as CSR lists: the compositional prior (docs/ml-engine.md §11.1) finds a gene's neighbours among the
   * trained genes by the Jaccard index of these sets. Absent without a knowledge release.
   */
  annotations?: { goPtr: Int32Array; goTerms: Int32Array; l1Ptr: Int32Array; l1Pathways: Int32Array } | null
  /** attention mask over the dataset's genes (shares an L1 pathway, self, co-expression fallback) */
  mask: {
    size: number
    rowPtr: Int32Array
    colIdx: Int32Array
    density: number
    withoutPathway: number
    /**
     * Gene indices without a pathway of the mask's level. When present, the mask holds the pathway
     * part only and the trainer adds these genes' co-expression neighbours per split (docs/ml-engine.md §2:
     * the co-expression graph is computed on training cells only).
     */
    withoutPathwayGenes?: Int32Array
  } | null
}

export interface TrainingData {
  datasetId: number
  genes: string[]
  expression: CsrArrays
  conditions: ConditionData[]
  /** mean over all control cells, per gene */
  controlMean: Float32Array
  knowledge: KnowledgeData
}

// ── what training reports ────────────────────────────────────────────────────────────

export const METRIC_NAMES = RUN_METRICS
export type MetricName = RunMetricName
export type Metrics = Record<MetricName, number>

export type GroupMetrics = RunGroupMetrics

export interface Evaluation {
  overall: GroupMetrics
  groups: Partial<Record<TestGroup, GroupMetrics>>
  perCondition: Record<string, Metrics>
  /** conditions left out, with the reason (unseen genes without GO partners cannot be predicted, docs/ml-engine.md §1) */
  excluded?: Record<string, string>
}

/** Live progress of a running epoch, at most ~10 per second (the contract's `RunProgress`). */
export type TrainProgress = RunProgress

export type EpochReport = RunEpoch
export type { RunSelection }

export interface TrainResult {
  backend: BackendInfo
  split: Split
  /** the epoch whose weights `params` hold (from 1); 0 = the starting point (no epoch beat it on validation) or a baseline */
  bestEpoch: number
  epochs: EpochReport[]
  test: Evaluation
  /** the best epoch's weights (undefined for baselines, which keep their fitted vectors in `fitted`) */
  params?: ParamsArtifact
  fitted?: Record<string, Float32Array>
  /** true when `shouldStop` ended the run early (the result holds the best completed epoch) */
  stopped?: boolean
  /** residual runs on small screens: how cross-validation chose the epoch and α (docs/ml-engine.md §11.3) */
  selection?: RunSelection
  /** models: the perturbation graph(s) the run used */
  pertGraph?: PertGraph
  /** the worker threads each step was split over, when more than one */
  workers?: number
  /** with workers: each one's wasm heap at the end, MB, rank 0 first (null off wasm) */
  workerHeapMb?: (number | null)[]
}

/** Hooks the trainer calls; the training service turns them into events, database rows and files. */
export interface TrainCallbacks {
  onProgress?(p: TrainProgress): void
  /** after each epoch's validation; `params` are that epoch's weights (the checkpoint) */
  onEpoch?(report: EpochReport, params: ParamsArtifact | undefined, isBest: boolean, optimizer?: ParamsArtifact): void | Promise<void>
  /** polled between steps: true stops after the current step, keeping the best checkpoint */
  shouldStop?(): boolean
}

/** Resuming after an app restart: the last checkpoint and the epochs already done. */
export interface ResumeState {
  /** epochs completed (training continues with epoch fromEpoch + 1; epochs are numbered from 1) */
  fromEpoch: number
  params: ParamsArtifact
  /** Adam moments and step count, when saved */
  optimizer?: ParamsArtifact
  epochs: EpochReport[]
  bestEpoch: number
  /** the best epoch's weights when they are not `params`; without them the best is chosen among `params` and later epochs */
  bestParams?: ParamsArtifact
}
