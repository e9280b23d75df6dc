/**
 * Prediction and evaluation with a trained model or a fitted baseline. A condition's prediction
 * is the mean over control cells of (control cell + Δ): c̄ + Δ for GEARS, and for BioDSNN the mean
 * of the VAE-regenerated control cells (mean z, non-zero entries only, §4) + Δ. That base does not
 * depend on the condition, so it is computed once per loaded model and conditions are batched.
 */
import * as tf from '@tensorflow/tfjs'
import { PREDICT_DEFAULTS } from '../../src-shared/contract/channels/predictions'
import { AppError } from '../../src-shared/contract/envelope'
import { fittedFromRecord, isBaseline, predictBaseline, type FittedBaselines } from './baselines'
import { meanExpression } from './mean-expression'
import type { Evaluation, PertGraph, Split, TrainConfig, TrainingData } from './engine-types'
import { controlCells, denseRows } from './expression'
import type { CoexpressionGraph } from './knowledge-graphs'
import { KnowledgePrior, type PriorState } from './knowledge-prior'
import { csrRowsTensor } from './losses'
import { inferenceMode } from './layers/mode'
import { ParamStore } from './layers/param-store'
import { evaluatePredictions, perturbedTrainingMean } from './metrics'
import { buildModelContext } from './models/context'
import { createModel, modelSpec, type PerturbationModel } from './models/model'
import { tensorOpsOnly } from './ops/tensor-path'
import { mulberry32 } from './random'
import { loadParams, saveParams, type ParamsArtifact } from './serialize'
import { sampleWithoutReplacement } from './splits'

export const MODEL_FORMAT = 'perturb-studio.model'

/** What is stored in the weights' manifest beside the tensors. */
export interface ModelMeta {
  format: typeof MODEL_FORMAT
  model: string
  hidden: number
  selfEffect: boolean
  uncertainty: boolean
  genes: number
  pertGenes: number
  /** genes of training conditions: the rest are unseen and need GO partners to be predicted (§1) */
  seenGenes: string[]
  epoch: number
  /** residual models (docs/ml-engine.md §11.2): the genes the stored prior measured alone, in its rows' order */
  priorGenes?: string[]
  /** the perturbation graph(s) of step 2 (absent: GO, as before the option) */
  pertGraph?: PertGraph
  /** residual models with the per-condition prior scale (absent in weights saved before it) */
  priorScale?: boolean
}

const COEXP = ['graph.coexp.source', 'graph.coexp.target', 'graph.coexp.weight'] as const

/** Adds the split's co-expression graph to the store (non-trainable, float32; indices < 2^24 are exact). */
export function storeCoexpression(store: ParamStore, coexp: CoexpressionGraph): void {
  if (coexp.nGenes >= 1 << 24) throw new Error('co-expression graph: too many genes to store indices as float32')
  const n = coexp.source.length
  store.add(COEXP[0], tf.tensor1d(Float32Array.from(coexp.source), 'float32').reshape([n]), false)
  store.add(COEXP[1], tf.tensor1d(Float32Array.from(coexp.target), 'float32').reshape([n]), false)
  store.add(COEXP[2], tf.tensor1d(coexp.weight, 'float32').reshape([n]), false)
}

const PRIOR = { deltas: 'prior.deltas', cells: 'prior.cells', trainMeanDelta: 'prior.train_mean_delta', selfEffect: 'prior.self_effect', weights: 'prior.weights' } as const
/**
 * The share α of a residual model's correction that its predictions keep (docs/ml-engine.md §11.3), one for
 * single genes and one for sets of two or more: the network may place unseen genes well and pairs
 * badly, or the reverse, and validation tells them apart.
 */
export const RESIDUAL_ALPHA = 'residual.alpha'
export interface Alpha {
  single: number
  pairs: number
}

/** α values tried on validation after every epoch. */
export const ALPHA_GRID = [0, 0.25, 0.5, 0.75, 1]
const alphaOf = (a: Alpha, genes: number) => (genes > 1 ? a.pairs : a.single)

/** Adds a residual model's prior (non-trainable, so it is saved with every checkpoint) and α = 1. */
export function storePrior(store: ParamStore, state: PriorState): void {
  for (const [key, name] of Object.entries(PRIOR) as [keyof typeof PRIOR, string][]) store.add(name, tf.tensor1d(state[key]), false)
  store.add(RESIDUAL_ALPHA, tf.tensor1d([1, 1]), false)
}

export function readAlpha(store: ParamStore): Alpha {
  const [single, pairs] = store.get(RESIDUAL_ALPHA).dataSync()
  return { single, pairs: pairs ?? single }
}

export function writeAlpha(store: ParamStore, alpha: Alpha): void {
  tf.tidy(() => store.get(RESIDUAL_ALPHA).assign(tf.tensor1d([alpha.single, alpha.pairs])))
}

export function readPrior(store: ParamStore, trained: string[]): PriorState {
  const read = (name: string) => Float32Array.from(store.get(name).dataSync() as Float32Array)
  return { trained, deltas: read(PRIOR.deltas), cells: read(PRIOR.cells), trainMeanDelta: read(PRIOR.trainMeanDelta), selfEffect: read(PRIOR.selfEffect), weights: read(PRIOR.weights) }
}

export function readCoexpression(store: ParamStore, nGenes: number): CoexpressionGraph {
  const [s, t, w] = COEXP.map((name) => store.get(name).dataSync() as Float32Array)
  return { nGenes, source: Int32Array.from(s), target: Int32Array.from(t), weight: Float32Array.from(w) }
}

export async function modelArtifact(model: PerturbationModel, meta: ModelMeta): Promise<ParamsArtifact> {
  return saveParams(model.store, meta as unknown as Record<string, unknown>)
}

export interface PredictOptions {
  /** control cells averaged for the base (sampled without replacement); default all */
  controlCells?: number
  seed?: number
  /** only these genes (indices into the dataset's genes): outputs are [conditions, columns] (a GI fit needs only its fitted genes) */
  columns?: Int32Array
}

export interface ConditionPrediction {
  genes: string[]
  /** mean predicted expression per gene */
  mean: Float32Array
  /** per-gene variance from the uncertainty head, when the model has one */
  variance?: Float32Array
}

/** A model or baseline ready to predict; build with `loadModel`, free with `dispose`. */
export interface LoadedModel {
  config: TrainConfig
  data: TrainingData
  model: PerturbationModel | null
  baseline: FittedBaselines | null
  /** residual models: the prior the network's correction is added to, and the share α of the correction kept */
  residual?: { prior: KnowledgePrior; alpha: Alpha }
  seenGenes: Set<string>
  /** c̄ or the VAE's regenerated control mean, by the options it was computed with */
  baseCache: Map<string, Float32Array>
  dispose(): void
}

export interface StoredModel {
  params?: ParamsArtifact
  fitted?: Record<string, Float32Array>
}

export async function loadModel(stored: StoredModel, config: TrainConfig, data: TrainingData): Promise<LoadedModel> {
  if (isBaseline(config.model)) {
    if (!stored.fitted) throw new AppError('model.weights-corrupt', `The ${config.model} run has no fitted values to predict with.`)
    return { config, data, model: null, baseline: fittedFromRecord(stored.fitted, data), seenGenes: new Set(), baseCache: new Map(), dispose: () => {} }
  }
  if (!stored.params) throw new AppError('model.weights-corrupt', `The ${config.model} run has no weights to predict with.`)
  const meta = stored.params.manifest.meta as unknown as ModelMeta | undefined
  if (meta?.format !== MODEL_FORMAT || meta.model !== config.model) throw new AppError('model.weights-mismatch', `The weights were not saved by a ${config.model} run.`)
  if (meta.genes !== data.genes.length || meta.pertGenes !== data.knowledge.pertGenes.length) {
    throw new AppError('model.weights-mismatch', `The weights are for ${meta.genes} genes and ${meta.pertGenes} perturbable genes; the dataset has ${data.genes.length} and ${data.knowledge.pertGenes.length}.`)
  }
  const { model, dispose } = modelFromParams(stored.params, config, data)
  const residual = meta.priorGenes ? { prior: new KnowledgePrior(readPrior(model.store, meta.priorGenes), data), alpha: readAlpha(model.store) } : undefined
  const loaded: LoadedModel = {
    config,
    data,
    model,
    baseline: null,
    ...(residual ? { residual } : {}),
    seenGenes: new Set(meta.seenGenes),
    baseCache: new Map(),
    dispose,
  }
  // The condition-independent base (for BioDSNN a VAE pass over every control cell) is part of
  // loading, so a prediction afterwards costs one knowledge-stream pass.
  await controlBase(loaded)
  return loaded
}

/** The model saved in `params` (a run's weights, or rank 0's for a data-parallel worker), rebuilt on `data`. */
export function modelFromParams(params: ParamsArtifact, config: TrainConfig, data: TrainingData): { model: PerturbationModel; dispose(): void } {
  const meta = params.manifest.meta as unknown as ModelMeta
  // Read the stored co-expression graph first: the context (and the mask) depend on it.
  const probe = new ParamStore(0)
  loadParams(probe, params)
  const coexp = readCoexpression(probe, data.genes.length)
  probe.dispose()
  const ctx = buildModelContext(data, coexp, meta.hidden, meta.pertGraph ?? 'go')
  const model = createModel({ ...modelSpec({ ...config, selfEffect: meta.selfEffect, uncertainty: meta.uncertainty }), priorScale: meta.priorScale === true }, ctx, config.seed)
  loadParams(model.store, params)
  return {
    model,
    dispose: () => {
      model.dispose()
      ctx.dispose()
    },
  }
}

/** Why a condition cannot be predicted by `loaded`, or null. A residual model predicts any gene of its vocabulary: the prior places what the network cannot. */
export function unpredictableReason(loaded: Pick<LoadedModel, 'model' | 'seenGenes' | 'residual'>, genes: string[]): string | null {
  const model = loaded.model
  if (!model) return null
  for (const g of genes) {
    if (loaded.residual && model.ctx.pertIndex.has(g)) continue
    const p = model.ctx.pertIndex.get(g)
    if (p === undefined) return `${g} is not in the perturbation vocabulary (not a GO-annotated gene nor a perturbed gene of the dataset)`
    if (!loaded.seenGenes.has(g) && !model.ctx.hasGoPartners[p]) return `${g} was not perturbed in training and has no GO partners in the knowledge base, so the model has nothing to predict it from`
  }
  return null
}

/**
 * Mean over control cells of what the model adds Δ to (see the file comment). A model that adds Δ
 * to the control cell itself gets the exact control mean whatever sample is asked for (a sample's
 * mean would only estimate it); only a VAE's regenerated cells are averaged over the sample.
 */
export async function controlBase(loaded: Pick<LoadedModel, 'model' | 'data' | 'baseCache' | 'residual'>, options: PredictOptions = {}): Promise<Float32Array> {
  const { data, model } = loaded
  if (!model?.vae) return data.controlMean
  // A residual model averages every control cell: its VAE starts calibrated to c̄ over all of them,
  // so a run whose network adds nothing predicts exactly the prior (a sample's mean would not).
  if (loaded.residual) options = { ...options, controlCells: undefined }
  const key = `${options.controlCells ?? 'all'}:${options.seed ?? 0}`
  const cached = loaded.baseCache.get(key)
  if (cached) return cached
  let rows = controlCells(data)
  if (options.controlCells !== undefined && options.controlCells < rows.length) rows = Int32Array.from(sampleWithoutReplacement(Array.from(rows), options.controlCells, mulberry32(options.seed ?? 0)))
  const base = await vaeControlMean(model, data, rows)
  loaded.baseCache.set(key, base)
  return base
}

/** Mean of the regenerated control cells (mean z), zeros kept zero; in chunks to bound memory. */
export async function vaeControlMean(model: PerturbationModel, data: TrainingData, rows: Int32Array, chunk = 1024): Promise<Float32Array> {
  const G = data.genes.length
  if (tensorOpsOnly()) {
    // GPU backends: the cells go up as their non-zeros, and only the [G] sums come back.
    let total: tf.Tensor1D | null = null
    for (let i = 0; i < rows.length; i += chunk) {
      const part = rows.subarray(i, Math.min(rows.length, i + chunk))
      const next: tf.Tensor1D = tf.tidy(() => {
        const xs = csrRowsTensor(data.expression, part)
        const kept = tf.sum(tf.mul(model.vae!(xs, inferenceMode).recon, tf.cast(tf.notEqual(xs, 0), 'float32')), 0) as tf.Tensor1D
        return total ? (tf.add(total, kept) as tf.Tensor1D) : kept
      })
      total?.dispose()
      total = next
    }
    const sums = total ? ((await total.data()) as Float32Array) : new Float32Array(G)
    total?.dispose()
    return Float32Array.from(sums, (v) => v / Math.max(1, rows.length))
  }
  const sum = new Float64Array(G)
  for (let i = 0; i < rows.length; i += chunk) {
    const part = rows.subarray(i, Math.min(rows.length, i + chunk))
    const xs = denseRows(data.expression, part)
    // Read outside the tidy: a typed array returned from tf.tidy is walked element by element
    // when tfjs looks for tensors in the result (38 s for 10,000 cells × 5,000 genes).
    const out = tf.tidy(() => model.vae!(tf.tensor2d(xs, [part.length, G]), inferenceMode).recon)
    const recon = (await out.data()) as Float32Array
    out.dispose()
    for (let r = 0; r < part.length; r++) for (let g = 0; g < G; g++) if (xs[r * G + g] !== 0) sum[g] += recon[r * G + g]
  }
  return Float32Array.from(sum, (s) => s / Math.max(1, rows.length))
}

/**
 * Δ (and log-variance) for conditions given as vocabulary rows, `batch` conditions per forward
 * pass, in inference mode. Returns row-major [conditions, G], or [conditions, columns].
 */
export async function predictDeltas(model: PerturbationModel, conditions: number[][], batch = 8, columns?: Int32Array): Promise<{ delta: Float32Array; logvar: Float32Array | null; priorScale: Float32Array | null }> {
  const G = columns ? columns.length : model.ctx.G
  const delta = new Float32Array(conditions.length * G)
  const logvar = model.spec.uncertainty ? new Float32Array(conditions.length * G) : null
  const priorScale = model.spec.priorScale ? new Float32Array(conditions.length) : null
  for (let i = 0; i < conditions.length; i += batch) {
    const part = conditions.slice(i, i + batch)
    // Read after the tidy (asynchronously: webgpu has no synchronous read in Node).
    const out = tf.tidy(() => model.forward(part, inferenceMode, columns) as unknown as tf.TensorContainerObject) as unknown as ReturnType<PerturbationModel['forward']>
    delta.set((await out.delta.data()) as Float32Array, i * G)
    if (logvar && out.logvar) logvar.set((await out.logvar.data()) as Float32Array, i * G)
    if (priorScale && out.priorScale) priorScale.set((await out.priorScale.data()) as Float32Array, i)
    tf.dispose([out.delta, ...(out.logvar ? [out.logvar] : []), ...(out.priorScale ? [out.priorScale] : [])])
  }
  return { delta, logvar, priorScale }
}

/**
 * For each row of perturbation indices, the mean expression max(0, base + Δ) (see mean-expression)
 * and, with the uncertainty head, the variance e^logvar; row-major [rows, G], `batch` conditions per
 * forward pass. What predict, the prediction worker and validation all report. `base` is what Δ is
 * added to (the control mean, or the VAE's regenerated control mean), a copy. With
 * `options.columns` every array holds only those genes.
 */
export async function predictMeans(
  loaded: Pick<LoadedModel, 'model' | 'data' | 'baseCache' | 'residual' | 'seenGenes'>,
  rows: number[][],
  options: PredictOptions = {},
  batch = 8,
  alpha: Alpha = loaded.residual?.alpha ?? { single: 1, pairs: 1 },
): Promise<{ means: Float32Array; variances: Float32Array | null; base: Float32Array }> {
  const { base, delta, variances } = await predictParts(loaded, rows, options, batch)
  if (delta.prior) return { means: meanExpression(base, combineResidual(delta, rows, base.length, alpha)), variances, base }
  return { means: meanExpression(base, delta.network), variances, base }
}

/**
 * prior + α·network per row (the prior alone where `priorOnly`), α by the row's set size. A VAE
 * model's rows that keep no correction are moved onto c̄: Δ + (c̄ − base), so that base + Δ is the
 * prior's c̄ + Δ exactly: the VAE's trained base is a learned part too, used only with the
 * correction it was validated with.
 */
export function combineResidual(delta: ResidualParts, rows: number[][], width: number, alpha: Alpha): Float32Array {
  const out = Float32Array.from(delta.prior!)
  rows.forEach((r, i) => {
    const a = delta.priorOnly[i] ? 0 : alphaOf(alpha, r.length)
    if (a === 0 && delta.baseShift) for (let k = i * width, j = 0; k < (i + 1) * width; k++, j++) out[k] += delta.baseShift[j]
    if (a === 0) return
    for (let k = i * width; k < (i + 1) * width; k++) out[k] += a * delta.network[k]
  })
  return out
}

/** A residual model's Δ parts (predictParts): the network's output, the prior, the rows that are the prior alone and, for a VAE model, c̄ − its base. */
export interface ResidualParts {
  network: Float32Array
  prior: Float32Array | null
  priorOnly: Uint8Array
  baseShift: Float32Array | null
}

/**
 * The parts of a prediction: the base Δ is added to, the network's output and, for a residual
 * model (docs/ml-engine.md §11.2), the prior rows and which rows are the prior alone — a gene set that is
 * one gene measured alone in training (measured data beats any correction) or holds a gene the
 * network cannot place (unseen, no GO partner). Rows of `rows` are vocabulary indices.
 */
export async function predictParts(
  loaded: Pick<LoadedModel, 'model' | 'data' | 'baseCache' | 'residual' | 'seenGenes'>,
  rows: number[][],
  options: PredictOptions = {},
  batch = 8,
): Promise<{ base: Float32Array; variances: Float32Array | null; delta: ResidualParts }> {
  const model = loaded.model
  if (!model) throw new Error('predictMeans: baselines have no Δ to add (use predictBaseline)')
  const { columns } = options
  if (columns?.some((g) => !(g >= 0 && g < model.ctx.G))) throw new Error(`predictMeans: columns must be gene indices below ${model.ctx.G}`)
  const full = await controlBase(loaded, options)
  const base = columns ? Float32Array.from(columns, (g) => full[g]) : full.slice()
  const priorOnly = new Uint8Array(rows.length)
  let prior: Float32Array | null = null
  let netRows = rows
  if (loaded.residual) {
    const { prior: kp } = loaded.residual
    const pert = loaded.data.knowledge.pertGenes
    const sets = rows.map((r) => r.map((p) => pert[p]))
    prior = kp.deltas(sets, false, columns)
    netRows = rows.map((r, i) => {
      const alone = r.length === 1 && kp.isMeasured(pert[r[0]])
      const unplaced = r.some((p) => p < 0 || (!loaded.seenGenes.has(pert[p]) && !model.ctx.hasGoPartners[p]))
      if (alone || unplaced) priorOnly[i] = 1
      return unplaced ? [] : r
    })
  }
  const { delta, logvar, priorScale } = await predictDeltas(model, netRows, batch, columns)
  if (logvar) for (let i = 0; i < logvar.length; i++) logvar[i] = Math.exp(logvar[i])
  // The correction r = network + scale·prior (knowledge-stream `priorScale`).
  if (prior && priorScale) {
    const width = base.length
    for (let i = 0; i < rows.length; i++) for (let k = i * width; k < (i + 1) * width; k++) delta[k] += priorScale[i] * prior[k]
  }
  const cbar = loaded.data.controlMean
  const baseShift = prior && model.vae ? Float32Array.from(base, (b, j) => cbar[columns ? columns[j] : j] - b) : null
  return { base, variances: logvar, delta: { network: delta, prior, priorOnly, baseShift } }
}

/** Mean predicted expression (floored at 0, see mean-expression) for each gene set; refuses genes the model cannot predict. */
export async function predict(loaded: LoadedModel, conditions: string[][], options: PredictOptions = {}): Promise<ConditionPrediction[]> {
  if (loaded.baseline) {
    const name = loaded.config.model
    if (!isBaseline(name)) throw new Error('unreachable')
    return conditions.map((genes) => ({ genes, mean: predictBaseline(name, loaded.baseline!, genes) }))
  }
  const model = loaded.model!
  for (const genes of conditions) {
    const why = unpredictableReason(loaded, genes)
    if (why) throw new AppError('predict.unknown-gene', `Cannot predict ${genes.join('+') || 'ctrl'}: ${why}.`)
  }
  const rows = conditions.map((genes) => genes.map((g) => model.ctx.pertIndex.get(g) ?? -1))
  const { means, variances } = await predictMeans(loaded, rows, options)
  const G = model.ctx.G
  return conditions.map((genes, i) => {
    const mean = means.slice(i * G, (i + 1) * G)
    return variances ? { genes, mean, variance: variances.slice(i * G, (i + 1) * G) } : { genes, mean }
  })
}

/**
 * The control cells a run's metrics average over: the prediction defaults' seeded sample, so a
 * prediction of a measured condition with the defaults reproduces the metrics the run stored
 * (it matters only for VAE models; the others use the exact control mean, see controlBase).
 */
const EVALUATION_BASE: PredictOptions = { controlCells: PREDICT_DEFAULTS.controlCells, seed: PREDICT_DEFAULTS.seed }

/**
 * §7 evaluation of `conditions` (default: the split's test set). Conditions the model cannot
 * predict (unseen genes without GO partners, §1) are left out and listed in `excluded`.
 */
export async function evaluate(loaded: LoadedModel, split: Split, conditions: string[] = split.test): Promise<Evaluation> {
  const genesOf = new Map(loaded.data.conditions.map((c) => [c.condition, c.genes]))
  const excluded: Record<string, string> = {}
  const ok: string[] = []
  for (const c of conditions) {
    const genes = genesOf.get(c)
    if (!genes) {
      excluded[c] = 'not a condition of the dataset'
      continue
    }
    const why = unpredictableReason(loaded, genes)
    if (why) excluded[c] = why
    else ok.push(c)
  }
  const preds = await predict(loaded, ok.map((c) => genesOf.get(c)!), EVALUATION_BASE)
  const evaluation = evaluatePredictions(loaded.data, ok, new Map(ok.map((c, i) => [c, preds[i].mean])), split.testGroups, undefined, perturbedTrainingMean(loaded.data, split.train))
  return Object.keys(excluded).length ? { ...evaluation, excluded } : evaluation
}
