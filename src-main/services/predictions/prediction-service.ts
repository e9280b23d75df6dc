/**
 * Predictions with finished runs: any gene set → mean expression and change over control for
 * every measured gene (docs/ml-engine.md §3: paired control + Δ, averaged over control cells), with the
 * observation beside it when the dataset measured the condition, kept in the run's history.
 *
 * Where it runs: models predict in a worker thread (predict-engine.ts) that keeps the last models
 * loaded, so neither one condition (~tens of ms) nor a batch of a thousand (tens of seconds on a
 * large screen) ever blocks the main process, and only the first request pays for building the
 * model. Baselines are a few vector additions and run here. Everything else — which genes a run
 * can place, the observation and its metrics, the history — is plain data work on this side.
 *
 * The base: for models whose Δ is added to the control mean (GEARS, BioDSNN without its VAE,
 * baselines) the mean over control cells of (cell + Δ) is exactly c̄ + Δ, so no sampling is done;
 * BioDSNN adds Δ to VAE-regenerated control cells, averaged over `controlCells` sampled cells
 * (seeded; the run's own metrics use the default sample — ml/predict `EVALUATION_BASE` — so the
 * defaults reproduce them; `all` = every control cell).
 */
import crypto from 'node:crypto'
import zlib from 'node:zlib'
import {
  AppError,
  type ConditionPrediction,
  type DatasetSummary,
  type GoPlacement,
  type PerturbableGene,
  type PredictGenes,
  type PredictionListItem,
  type PredictionOrigin,
  type PredictionSource,
  type PredictResult,
  type TrainableName,
  type TrainSetup,
} from '../../../src-shared/contract'
import { topByMagnitude } from '../../../src-shared/domain/statistics'
import { float32Number, float32Numbers } from '../../../src-shared/exports/numbers'
import type { PredictionParams, PredictionsRepo } from '../../db/predictions-repo'
import type { CheckpointRecord, RunRecord, RunsRepo } from '../../db/runs-repo'
import { fittedFromRecord, isBaseline, predictBaseline, type FittedBaselines } from '../../ml/baselines'
import { MODEL_ARCHITECTURES, type BaselineName, type ModelName, type Split, type TrainingData } from '../../ml/engine-types'
import { controlCells as controlRowsOf } from '../../ml/expression'
import type { ModelMeta, StoredModel } from '../../ml/predict'
import type { ParamsArtifact } from '../../ml/serialize'
import { subsetRows } from '../../io/csr'
import { buffersOf } from '../../ml/worker-protocol'
import type { KnowledgeBase } from '../knowledge/knowledge-base'
import type { CheckpointPayload } from '../training/checkpoint-store'
import { toTrainConfig } from '../training/training-inputs'
import { buildVocabulary, placeableBy, resolveSets, type ResolvedSet, type Vocabulary } from './gene-sets'
import { testGroupOf } from '../../ml/splits'
import { perturbedTrainingMean } from '../../ml/metrics'
import { measuredCondition } from './measured'
import type { BackendInfo } from '../../ml/backend'
import type { PredictEngine } from './predict-engine'


export interface PredictionServiceDeps {
  runs: RunsRepo
  repo: PredictionsRepo
  checkpoints: { load(cp: CheckpointRecord): CheckpointPayload }
  datasets: { require(id: number): { summary: DatasetSummary } }
  /** the engine's input for a run's dataset (the same the run was trained on) */
  buildData(datasetId: number, setup: TrainSetup): Promise<{ data: TrainingData; keep?: ReadonlySet<ArrayBufferLike> }>
  /** the knowledge release of that data (pathway counts, aliases), or null without one */
  knowledgeBase(release: string): Promise<KnowledgeBase | null>
  engine: PredictEngine
  appVersion: string
  /** runs kept prepared in memory (their data and vocabulary) */
  keep?: number
}

export interface PredictOptionsInput {
  controlCells: number | 'all'
  seed: number
}

/** A run made ready to predict: its data, vocabulary and how to load its weights. */
interface PreparedRun {
  run: RunRecord
  /** run and weights: a resumed run gets new weights and a new key */
  key: string
  checkpoint: CheckpointRecord
  data: TrainingData
  keep: ReadonlySet<ArrayBufferLike>
  split: Split
  vocab: Vocabulary
  baseline: FittedBaselines | null
  vae: boolean
  conditionIndex: Map<string, number>
  kb: KnowledgeBase | null
  dataset: DatasetSummary
  /** a residual run's share of the network's correction kept for single genes and for larger sets (0: the prediction is the prior) */
  alpha: { single: number; pairs: number } | null
  /** p̄ of `pearson_delta_centroid` (mean over the training split's perturbed cells), once needed */
  perturbedMean?: Float32Array | null
  /** genes the network can place: seen in training, or with GO partners */
  networkPlaces: (gene: string) => boolean
}

/** The α a residual run kept at its best epoch (0 at epoch 0: the prior). */
function alphaOfRun(run: RunRecord, runs: RunsRepo): { single: number; pairs: number } {
  if (!run.bestEpoch) return { single: 0, pairs: 0 }
  const e = runs.epochs(run.id).find((x) => x.epoch === run.bestEpoch)
  return { single: e?.alpha ?? 1, pairs: e?.alphaPairs ?? 1 }
}

/** Where a set's prediction comes from (contract `PredictionOrigin`). */
function originOf(p: PreparedRun, genes: string[]): PredictionOrigin {
  if (p.baseline) return 'baseline'
  if (p.run.config.prior !== 'knowledge') return 'model'
  const measuredAlone = genes.length === 1 && p.split.train.some((c) => c === `${genes[0]}+ctrl` || c === `ctrl+${genes[0]}`)
  if (measuredAlone) return 'measured'
  const kept = genes.length > 1 ? p.alpha?.pairs : p.alpha?.single
  return kept === 0 || !genes.every(p.networkPlaces) ? 'prior' : 'model'
}

/** Many conditions at once (the design screens): raw arrays, nothing stored. */
export interface BatchPrediction {
  source: PredictionSource
  sets: ResolvedSet[]
  /**
   * the genes (indices into source.genes) the arrays hold when only some were asked for
   * (`predictMany`'s `columns`); null for all G. Every [sets, G] below is then [sets, columns].
   */
  columns: Int32Array | null
  /** row-major [sets, G] */
  mean: Float32Array
  /** row-major [sets, G] mean − the observed control mean (what the prediction screen shows) */
  change: Float32Array
  /**
   * row-major [sets, G] mean − what the model adds Δ to. The same as `change` except for a model
   * with a VAE, whose regenerated control mean differs from the observed one by an offset that every
   * prediction carries; comparisons between a model's own predictions (GI fits, signature search)
   * use this so the offset cancels.
   */
  modelChange: Float32Array
  /** row-major [sets, G] variance, when the run has the uncertainty head */
  variance: Float32Array | null
  /** milliseconds in the worker (0 for baselines) */
  workerMs: number
}

export class PredictionService {
  private readonly prepared = new Map<number, Promise<PreparedRun>>()
  private readonly pathwayCounts = new Map<string, Map<string, number>>()

  constructor(private readonly deps: PredictionServiceDeps) {}

  /** The prediction worker's backend once it has started (null before the first prediction). */
  get backend(): BackendInfo | null {
    return this.deps.engine.backend
  }

  /** Prediction workers started so far (large batches are split over one per core on wasm). */
  get workers(): number {
    return this.deps.engine.workers
  }

  /** Workers a request of `sets` gene sets is split over (known once a prediction has started the first). */
  workersFor(sets: number): number {
    return this.deps.engine.lanesFor(sets)
  }

  // ── channels ───────────────────────────────────────────────────────────────────────

  async genes(runId: number): Promise<PredictGenes> {
    const p = await this.prepare(runId)
    // A screen asks for the genes when it opens a run: load the model meanwhile, so the first
    // prediction does not wait for the worker's start (~1.5 s on norman-like). A failure here
    // is left to that prediction, which reports it.
    if (!p.baseline) this.deps.engine.load(p.key, () => this.payload(p)).catch(() => undefined)
    const counts = p.kb ? this.pathwaysOf(p.kb, p.vocab.status.keys()) : null
    const measured = new Set(p.data.genes)
    const genes: PerturbableGene[] = [...p.vocab.status].map(([gene, status]) => ({ gene, status, pathways: counts ? (counts.get(gene) ?? 0) : null, measured: measured.has(gene) }))
    const order: Record<string, number> = { 'seen-single': 0, 'seen-combo': 1, 'unseen-in-knowledge': 2 }
    genes.sort((a, b) => order[a.status] - order[b.status] || (a.gene < b.gene ? -1 : a.gene > b.gene ? 1 : 0))
    return { runId, model: p.run.model as TrainableName, knowledgeRelease: p.data.knowledge.release, maxSetSize: p.vocab.maxSetSize, measuredSetSize: p.vocab.measuredSetSize, genes }
  }

  /**
   * For each gene (as the run names it), how the run places it when unseen: the GO placement of
   * predict:run's flags, without predicting. Null for genes it saw, and for baselines.
   */
  async placements(runId: number, genes: string[]): Promise<(GoPlacement | null)[]> {
    const { vocab } = await this.prepare(runId)
    return genes.map((g) => vocab.placement(g))
  }

  /** predict:run: each set predicted, compared with its observation when measured, and (by default) kept in the history. */
  async run(input: { runId: number; conditions: string[][]; save: boolean } & PredictOptionsInput): Promise<PredictResult> {
    const batch = await this.predictMany(input.runId, input.conditions, input)
    const p = await this.prepare(input.runId)
    const { source } = batch
    const G = source.genes.length
    const additive = await this.additiveChanges(input.runId, batch.sets, input)
    const seen = new Set(p.split.train.flatMap((c) => p.data.conditions[p.conditionIndex.get(c) ?? -1]?.genes ?? []))
    const trainedSets = new Set(p.split.train)
    const conditions: ConditionPrediction[] = batch.sets.map((set, i) => {
      const mean = batch.mean.subarray(i * G, (i + 1) * G)
      const ci = p.conditionIndex.get(set.condition)
      return {
        predictionId: null,
        condition: set.condition,
        flags: set.flags,
        mean: float32Numbers(mean),
        change: float32Numbers(batch.change.subarray(i * G, (i + 1) * G)),
        sd: batch.variance ? float32Numbers(Float32Array.from(batch.variance.subarray(i * G, (i + 1) * G), Math.sqrt)) : null,
        measured: ci === undefined ? null : measuredCondition(p.data, ci, mean, p.split, p.run.test, (p.perturbedMean ??= perturbedTrainingMean(p.data, p.split.train))),
        origin: originOf(p, set.genes),
        group: trainedSets.has(set.condition) ? null : testGroupOf(set.genes, seen),
        setFlags: set.genes.length > p.vocab.measuredSetSize ? ['no-pair-trained'] : [],
        additiveChange: additive.get(set.condition) ?? null,
      }
    })
    if (input.save) {
      for (const c of conditions) c.predictionId = this.store(source, c)
    }
    return { ...source, conditions }
  }

  /** For each set of two or more genes, the sum of the run's predicted changes of its genes alone (docs/ml-engine.md §11.4's additive expectation). */
  private async additiveChanges(runId: number, sets: ResolvedSet[], options: PredictOptionsInput): Promise<Map<string, number[]>> {
    const out = new Map<string, number[]>()
    const multi = sets.filter((s) => s.genes.length > 1)
    if (!multi.length) return out
    const singles = [...new Set(multi.flatMap((s) => s.genes))].sort()
    const batch = await this.predictMany(runId, singles.map((g) => [g]), options)
    const G = batch.source.genes.length
    const row = new Map(singles.map((g, i) => [g, batch.change.subarray(i * G, (i + 1) * G)]))
    for (const s of multi) {
      const sum = new Float32Array(G)
      for (const g of s.genes) row.get(g)!.forEach((v, k) => (sum[k] += v))
      out.set(s.condition, float32Numbers(sum))
    }
    return out
  }

  /** What a prediction with these options would come from (the gene axis, control mean, provenance), without predicting anything. */
  async sourceOf(runId: number, options: PredictOptionsInput): Promise<PredictionSource> {
    return this.source(await this.prepare(runId), options)
  }

  /**
   * Predicts many gene sets in one worker request (batched forward passes). Refuses the whole
   * request when a set cannot be predicted, naming every gene at fault. With `columns` (distinct
   * gene indices) only those genes are predicted: BioDSNN then computes ~columns/G of its per-gene work.
   */
  async predictMany(runId: number, sets: string[][], options: PredictOptionsInput & { columns?: Int32Array }): Promise<BatchPrediction> {
    const p = await this.prepare(runId)
    const resolved = resolveSets(p.vocab, sets, runLabel(p.run), this.aliasLookup(p))
    const source = this.source(p, options)
    const { columns } = options
    const G = p.data.genes.length
    if (columns && (columns.some((g) => !(g >= 0 && g < G)) || new Set(columns).size !== columns.length)) throw new Error(`predictMany: columns must be distinct gene indices below ${G}`)
    const width = columns ? columns.length : G
    const cbar = columns ? Float32Array.from(columns, (g) => p.data.controlMean[g]) : p.data.controlMean
    let mean: Float32Array
    let variance: Float32Array | null = null
    let vaeBase: Float32Array | null = null
    let workerMs = 0
    if (p.baseline) {
      mean = new Float32Array(resolved.length * width)
      resolved.forEach((s, i) => {
        const row = predictBaseline(p.run.model as BaselineName, p.baseline!, s.genes)
        mean.set(columns ? Float32Array.from(columns, (g) => row[g]) : row, i * width)
      })
    } else {
      const opts = { ...(options.controlCells === 'all' ? {} : { controlCells: options.controlCells }), seed: options.seed, ...(columns ? { columns } : {}) }
      const out = await this.deps.engine.predict(p.key, () => this.payload(p), resolved.map((s) => s.genes), opts)
      mean = out.means
      variance = out.variances
      if (p.vae) vaeBase = out.base
      workerMs = out.ms
    }
    const change = minusEachRow(mean, cbar)
    // Without a VAE the model adds Δ to c̄ itself, so both changes are one array.
    const modelChange = vaeBase ? minusEachRow(mean, vaeBase) : change
    return { source, sets: resolved, columns: columns ?? null, mean, change, modelChange, variance, workerMs }
  }

  list(runId: number, limit: number): PredictionListItem[] {
    this.requireRun(runId)
    return this.deps.repo.list(runId, limit).map((r) => ({
      id: r.id,
      runId: r.runId,
      condition: r.condition,
      flags: r.params.flags,
      measured: r.params.measured,
      controlCells: r.params.controlCells,
      seed: r.params.seed,
      topChanges: r.params.topChanges,
      createdAt: r.createdAt,
    }))
  }

  /** A stored prediction as it was computed (the figure's data), without recomputing. */
  get(id: number): PredictResult {
    const record = this.deps.repo.get(id)
    const blob = record && this.deps.repo.blob(id)
    if (!record || !blob) throw new AppError('prediction.not-found', `No prediction with id ${id}. List a run's predictions with prediction:list.`)
    if (record.sha256 && crypto.createHash('sha256').update(blob).digest('hex') !== record.sha256) {
      throw new AppError('prediction.corrupt', `Prediction ${id} does not match its checksum; predict the condition again.`)
    }
    const stored = JSON.parse(zlib.gunzipSync(blob).toString('utf8')) as { source: PredictionSource; condition: ConditionPrediction }
    return { ...stored.source, conditions: [{ ...stored.condition, predictionId: id }] }
  }

  delete(id: number): { deleted: number } {
    if (!this.deps.repo.delete(id)) throw new AppError('prediction.not-found', `No prediction with id ${id}.`)
    return { deleted: id }
  }

  // ── preparing a run ────────────────────────────────────────────────────────────────

  private prepare(runId: number): Promise<PreparedRun> {
    const run = this.requireRun(runId)
    const checkpoint = this.usableCheckpoint(run)
    const cached = this.prepared.get(runId)
    const fresh = cached?.then((p) => (p.checkpoint.sha256 === checkpoint.sha256 ? p : Promise.reject(new Error('stale'))))
    if (cached && fresh) {
      return fresh.catch(() => {
        this.prepared.delete(runId)
        return this.prepare(runId)
      })
    }
    const p = this.build(run, checkpoint)
    this.prepared.set(runId, p)
    p.catch(() => this.prepared.get(runId) === p && this.prepared.delete(runId))
    while (this.prepared.size > (this.deps.keep ?? 2)) this.prepared.delete(this.prepared.keys().next().value!)
    return p
  }

  private async build(run: RunRecord, checkpoint: CheckpointRecord): Promise<PreparedRun> {
    const dataset = this.deps.datasets.require(run.datasetId!).summary
    const { data, keep } = await this.deps.buildData(run.datasetId!, run.config)
    const split = run.split
    if (!split) throw new AppError('predict.run-not-finished', `${runLabel(run)} has no split stored; it has not finished.`)
    const baseline = isBaseline(run.model) ? fittedFromRecord(artifactRecord(this.deps.checkpoints.load(checkpoint).params), data) : null
    if (!baseline) {
      // The weights were shaped by the data's gene list and vocabulary: say so plainly when they moved.
      const meta = this.deps.checkpoints.load(checkpoint).params.manifest.meta as unknown as ModelMeta | undefined
      if (meta && (meta.genes !== data.genes.length || meta.pertGenes !== data.knowledge.pertGenes.length)) {
        throw new AppError(
          'predict.knowledge-changed',
          `${runLabel(run)} was trained with ${meta.pertGenes} perturbable genes and ${meta.genes} measured genes; its dataset with the project's knowledge release (${data.knowledge.release ?? 'none'}) now gives ${data.knowledge.pertGenes.length} and ${data.genes.length}. Choose the release it was trained with for the project, or train it again.`,
        )
      }
    }
    const release = data.knowledge.release
    return {
      run,
      key: `${run.id}:${checkpoint.sha256}`,
      checkpoint,
      data,
      keep: keep ?? new Set(),
      split,
      vocab: buildVocabulary(data, split, !baseline && run.config.prior !== 'knowledge'),
      baseline,
      vae: !baseline && MODEL_ARCHITECTURES[run.model as ModelName].vae,
      conditionIndex: new Map(data.conditions.map((c, i) => [c.condition, i])),
      kb: release ? await this.deps.knowledgeBase(release) : null,
      dataset,
      alpha: !baseline && run.config.prior === 'knowledge' ? alphaOfRun(run, this.deps.runs) : null,
      networkPlaces: placeableBy(data, split),
    }
  }

  /** What the worker needs to build the model: the weights and the data less every cell it never reads. */
  private async payload(p: PreparedRun) {
    const { params } = this.deps.checkpoints.load(p.checkpoint)
    const stored: StoredModel = { params }
    // The prepared run keeps reading its data (the GO graph for placements, the control mean):
    // only what forWorker made fresh may be transferred, the rest is copied.
    return { stored, config: toTrainConfig(p.run.config), data: forWorker(p.data, p.vae), keep: new Set([...p.keep, ...buffersOf(p.data)]) }
  }

  private source(p: PreparedRun, options: PredictOptionsInput): PredictionSource {
    const nControl = controlRowsOf(p.data).length
    // A residual model with a VAE averages every control cell whatever is asked (ml/predict controlBase).
    const sampled = p.vae && p.run.config.prior !== 'knowledge' && options.controlCells !== 'all' && options.controlCells < nControl
    return {
      runId: p.run.id,
      runName: p.run.name,
      model: p.run.model as TrainableName,
      trainingSeed: p.run.config.seed,
      bestEpoch: p.run.bestEpoch,
      projectId: p.run.projectId,
      datasetId: p.dataset.datasetId,
      datasetName: p.dataset.name,
      knowledgeRelease: p.data.knowledge.release,
      appVersion: this.deps.appVersion,
      base: p.vae ? 'sampled-controls' : 'control-mean',
      controlCells: options.controlCells,
      controlCellsUsed: sampled ? (options.controlCells as number) : nControl,
      seed: options.seed,
      genes: p.data.genes,
      controlMean: float32Numbers(p.data.controlMean),
      createdAt: new Date().toISOString(),
    }
  }

  private aliasLookup(p: PreparedRun) {
    return (q: string) => {
      if (!p.kb) return null
      try {
        return p.kb.resolveGene(q).symbol
      } catch {
        return null
      }
    }
  }

  /** Pathways containing each gene (as the gene view lists them), counted once per release and gene. */
  private pathwaysOf(kb: KnowledgeBase, genes: Iterable<string>): Map<string, number> {
    let counts = this.pathwayCounts.get(kb.release)
    if (!counts) this.pathwayCounts.set(kb.release, (counts = new Map()))
    for (const g of genes) {
      if (counts.has(g)) continue
      try {
        counts.set(g, kb.genePathways(g).length)
      } catch {
        // Not in the release (a dataset gene it does not know): no pathway.
        counts.set(g, 0)
      }
    }
    return counts
  }

  private store(source: PredictionSource, c: ConditionPrediction): number {
    const blob = zlib.gzipSync(JSON.stringify({ source, condition: { ...c, predictionId: null } }), { level: 6 })
    const top = topByMagnitude(c.change, 3)
    const params: PredictionParams = {
      flags: c.flags,
      measured: c.measured !== null,
      controlCells: source.controlCells,
      seed: source.seed,
      topChanges: top.map((g) => ({ gene: source.genes[g], change: float32Number(c.change[g]) })),
      encoding: 'json+gzip',
    }
    return this.deps.repo.insert({ runId: source.runId, condition: c.condition, params, sha256: crypto.createHash('sha256').update(blob).digest('hex'), blob }).id
  }

  // ── checks ─────────────────────────────────────────────────────────────────────────

  private requireRun(runId: number): RunRecord {
    const r = this.deps.runs.get(runId)
    if (!r) throw new AppError('run.not-found', `No run with id ${runId} (it may have been deleted). List them with: perturb-studio runs`)
    return r
  }

  /** The best checkpoint of a run that can predict, or a refusal saying why not. */
  private usableCheckpoint(r: RunRecord): CheckpointRecord {
    const label = runLabel(r)
    if (r.status === 'queued' || r.status === 'running') {
      const progress = r.status === 'running' && r.kind === 'model' ? ` (epoch ${r.epochsDone} of ${r.config.epochs} done)` : ''
      throw new AppError('predict.run-not-finished', `${label} is still ${r.status === 'queued' ? 'queued' : 'training'}${progress}; predict with it once it has completed.`)
    }
    if (r.status === 'failed') {
      throw new AppError('predict.run-failed', `${label} failed${r.error ? ` (${r.error})` : ''}, so it has no finished model to predict with.${r.hasCheckpoint && r.kind === 'model' ? ' Resume it, then predict.' : ' Start it again.'}`)
    }
    if (r.datasetId === null) throw new AppError('predict.dataset-deleted', `${label}'s dataset was deleted, so there is nothing to predict against.`)
    const cps = this.deps.runs.checkpoints(r.id)
    const best = cps.find((c) => c.isBest && (r.bestEpoch === null || c.epoch === r.bestEpoch)) ?? cps.find((c) => c.isBest)
    if (!best || (r.status === 'cancelled' && !r.test)) {
      throw new AppError('predict.run-failed', `${label} was cancelled before it had a model to keep, so there is nothing to predict with. Start it again.`)
    }
    return best
  }
}

export function runLabel(r: Pick<RunRecord, 'id' | 'model' | 'name'>): string {
  return `Run ${r.id} (${r.model}${r.name ? ` “${r.name}”` : ''})`
}

/** A baseline's stored artefact back to its named vectors. */
function artifactRecord(a: ParamsArtifact): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {}
  for (const e of a.manifest.entries) {
    const bytes = a.data.slice(e.offset, e.offset + e.byteLength)
    out[e.name] = new Float32Array(bytes.buffer, bytes.byteOffset, e.byteLength / 4)
  }
  return out
}

/**
 * The worker reads only the control cells, and those only for a VAE base: every other cell is
 * left out (a large screen's matrix need not cross the thread boundary for c̄ + Δ).
 */
export function forWorker(data: TrainingData, vae: boolean): TrainingData {
  const ctrl = controlRowsOf(data)
  const rows = vae ? ctrl : new Int32Array(0)
  const expression = subsetRows(data.expression, rows)
  return {
    ...data,
    expression,
    conditions: [{ condition: 'ctrl', genes: [], cells: Int32Array.from({ length: rows.length }, (_, i) => i), de: null }],
  }
}

/** Row-major [rows, G] values minus the [G] vector `row`, from each row. */
function minusEachRow(values: Float32Array, row: Float32Array): Float32Array {
  const G = row.length
  const out = new Float32Array(values.length)
  for (let i = 0; i < values.length; i += G) for (let g = 0; g < G; g++) out[i + g] = values[i + g] - row[g]
  return out
}
