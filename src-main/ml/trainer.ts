/**
 * `train()`: the engine's one entry for a run (engine-types). Checks the config and data, draws
 * the split (model.md §6), then either fits a baseline in closed form (§8) or trains a model
 * (§3–§5) and evaluates the best epoch on the test split (§7).
 *
 * Batches are sets of condition visits (§3): a visit is one condition with up to C of its cells
 * (or, with `cellsPerCondition: 'all'`, every cell, in chunks of at most MAX_VISIT_CELLS so a
 * 10,000-cell control condition cannot fill the wasm heap). The knowledge stream runs once per
 * visit; the loss is taken over the visit's cells, each paired with a random control cell.
 */
import * as tf from '@tensorflow/tfjs'
import { AppError } from '../../src-shared/contract/envelope'
import { describeBackend, memoryNow, wasmHeapBytes } from './backend-info'
import { fitBaselines, fitBaselinesWithPrior, fittedRecord, isBaseline, predictBaseline } from './baselines'
import { validateConfig } from './config'
import { METRIC_NAMES, type EpochReport, type Metrics, type ResumeState, type Trainable, type Split, type TrainCallbacks, type TrainConfig, type TrainingData, type TrainResult } from './engine-types'
import { controlCells, denseRows } from './expression'
import { splitCoexpression } from './knowledge-graphs'
import { trainingMode } from './layers/mode'
import { klDivergence, perturbationLoss, reconstructionLoss, type LossVisit } from './losses'
import { conditionTruth, evaluatePredictions, type ConditionTruth } from './metrics'
import { buildModelContext } from './models/context'
import { createModel, materialise, modelSpec, type PerturbationModel } from './models/model'
import { Adam, clipByGlobalNorm, learningRate } from './optimizer'
import { evaluate, MODEL_FORMAT, modelArtifact, predictMeans, storeCoexpression, unpredictableReason, vaeControlMean, type LoadedModel, type ModelMeta } from './predict'
import { hashSeed, mulberry32 } from './random'
import { loadParams, type ParamsArtifact } from './serialize'
import { makeSplit, sampleWithoutReplacement } from './splits'

/** Largest visit with `cellsPerCondition: 'all'`. */
export const MAX_VISIT_CELLS = 1024
/** Progress events at most this often (issue: ~10 per second). */
const PROGRESS_MS = 100
/** The wasm heap's hard cap (perf-notes trap 9) and what we leave free for fragmentation. */
const WASM_HEAP_BYTES = 4 * 1024 ** 3
const WASM_SLACK_BYTES = 512 * 1024 ** 2

/** Refuses data no model can learn from, with what to do about it. */
export function validateData(data: TrainingData): void {
  if (controlCells(data).length === 0) {
    throw new AppError('train.no-control-cells', 'The dataset has no control cells (condition `ctrl`); every prediction starts from a control cell. Import it again naming the control label.')
  }
  if (data.genes.length !== data.expression.nCols) throw new AppError('train.bad-data', `The dataset lists ${data.genes.length} genes but its matrix has ${data.expression.nCols} columns.`)
  if (data.controlMean.length !== data.genes.length) throw new AppError('train.bad-data', `The control mean has ${data.controlMean.length} values for ${data.genes.length} genes.`)
}

export async function train(data: TrainingData, config: TrainConfig, callbacks: TrainCallbacks = {}, resume?: ResumeState): Promise<TrainResult> {
  validateConfig(config)
  validateData(data)
  const split = makeSplit(data.conditions, config.split)
  const backend = await describeBackend()
  if (isBaseline(config.model)) return { backend, ...trainBaseline(data, config, split) }
  return { backend, ...(await trainModel(data, config, split, callbacks, resume)) }
}

function trainBaseline(data: TrainingData, config: TrainConfig, split: Split): Omit<TrainResult, 'backend'> {
  const name = config.model
  if (!isBaseline(name)) throw new Error(`${name} is not a baseline`)
  const fitted = name === 'knowledge_prior' ? fitBaselinesWithPrior(data, split) : fitBaselines(data, split)
  const genesOf = new Map(data.conditions.map((c) => [c.condition, c.genes]))
  const predictions = new Map(split.test.map((c) => [c, predictBaseline(name, fitted, genesOf.get(c) ?? [])]))
  return { split, bestEpoch: 0, epochs: [], test: evaluatePredictions(data, split.test, predictions, split.testGroups), fitted: fittedRecord(fitted) }
}

// ── batches ──────────────────────────────────────────────────────────────────────────

export interface Visit extends LossVisit {
  condition: string
  /** vocabulary rows of the condition's genes */
  perts: number[]
}

/** One epoch's batches: every training condition visited (once, or in chunks), shuffled, seeded. */
export function planEpoch(data: TrainingData, split: Split, pertIndex: Map<string, number>, config: Pick<TrainConfig, 'cellsPerCondition' | 'batchConditions'>, rand: () => number): Visit[][] {
  const byName = new Map(data.conditions.map((c) => [c.condition, c]))
  const ctrl = controlCells(data)
  const visits: Visit[] = []
  for (const name of split.train) {
    const c = byName.get(name)
    if (!c || c.cells.length === 0) continue
    const perts = c.genes.map((g) => pertIndex.get(g)!)
    const genes = c.de ? c.de.nonZerosGeneIdx : null
    const order = sampleWithoutReplacement(Array.from(c.cells), c.cells.length, rand)
    const chunks: number[][] = []
    if (config.cellsPerCondition === 'all') for (let i = 0; i < order.length; i += MAX_VISIT_CELLS) chunks.push(order.slice(i, i + MAX_VISIT_CELLS))
    else chunks.push(order.slice(0, config.cellsPerCondition))
    for (const cells of chunks) {
      // Paired control cells, drawn at random (GEARS pairs each cell with a random control cell);
      // a control cell is paired with another control cell, never itself.
      const controls = Int32Array.from(cells, (cell) => {
        let k = ctrl[Math.floor(rand() * ctrl.length)]
        if (k === cell && ctrl.length > 1) k = ctrl[(ctrl.indexOf(k) + 1) % ctrl.length]
        return k
      })
      visits.push({ condition: name, perts, cells: Int32Array.from(cells), controls, genes })
    }
  }
  const shuffled = sampleWithoutReplacement(visits, visits.length, rand)
  const B = config.batchConditions
  const batches: Visit[][] = []
  for (let i = 0; i < shuffled.length; i += B) batches.push(shuffled.slice(i, i + B))
  // BatchNorm over conditions needs two rows: a lone last visit joins the previous batch.
  if (batches.length > 1 && batches[batches.length - 1].length === 1) batches[batches.length - 2].push(...batches.pop()!)
  return batches
}

// ── memory (perf-notes trap 9) ───────────────────────────────────────────────────────

export interface MemoryEstimate {
  bytes: number
  parts: Record<string, number>
}

/** A deliberately generous estimate of the wasm heap one training step needs. */
export function estimateMemory(model: Trainable, G: number, P: number, config: Pick<TrainConfig, 'batchConditions' | 'cellsPerCondition' | 'hidden'>): MemoryEstimate {
  const H = config.hidden
  const B = config.batchConditions + 1 // a merged last batch
  const cells = config.cellsPerCondition === 'all' ? MAX_VISIT_CELLS : config.cellsPerCondition
  const f = 4
  if (isBaseline(model)) return { bytes: 0, parts: {} }
  const spec = modelSpec({ model, selfEffect: true, uncertainty: true })
  const parts: Record<string, number> = {
    // weights, gradients and two Adam moments: gene tables, pert table, per-gene linears, cross-gene MLP
    params: 4 * f * (3 * G * H + P * H + 2 * G * H + 4 * H * H + 512 * H * 2),
    // [B·G, H]-sized activations kept for the backward pass (embeddings, BatchNorms, the 2H MLP), ×2 for gradients
    knowledge: 2 * f * 24 * B * G * H,
  }
  if (spec.mixing === 'masked-attention') parts.attention = 2 * f * B * G * (12 * H + 4 * 512)
  if (spec.mixing === 'full-attention') parts.attention = 2 * f * B * G * (12 * H + 4 * 512) + 6 * f * G * G
  if (spec.vae) parts.vae = 2 * f * 8 * B * cells * G
  return { bytes: Object.values(parts).reduce((a, b) => a + b, 0), parts }
}

function checkMemory(estimate: MemoryEstimate, config: TrainConfig): void {
  const heap = wasmHeapBytes()
  if (heap === null) return
  const free = WASM_HEAP_BYTES - WASM_SLACK_BYTES - heap
  if (estimate.bytes <= free + heap * 0.5) return
  const gb = (b: number) => (b / 1024 ** 3).toFixed(1)
  const hint = config.cellsPerCondition === 'all' || config.cellsPerCondition > 64 ? ' or --cells-per-condition 32' : ''
  throw new AppError(
    'train.too-large',
    `This run would need about ${gb(estimate.bytes)} GB of the wasm backend's 4 GB compute memory (${Object.entries(estimate.parts)
      .map(([k, v]) => `${k} ${gb(v)} GB`)
      .join(', ')}). Lower --batch-conditions (now ${config.batchConditions})${hint}, or use the tfjs-node backend.`,
  )
}

// ── training ─────────────────────────────────────────────────────────────────────────

const finiteOr = (x: number, fallback: number) => (Number.isFinite(x) ? x : fallback)
const stripGroup = (m: Metrics): Metrics => Object.fromEntries(METRIC_NAMES.map((k) => [k, m[k]])) as Metrics

async function trainModel(data: TrainingData, config: TrainConfig, split: Split, callbacks: TrainCallbacks, resume?: ResumeState): Promise<Omit<TrainResult, 'backend'>> {
  const spec = modelSpec(config)
  const index = new Map(data.conditions.map((c) => [c.condition, c]))
  const trainGenes = new Set(split.train.flatMap((c) => index.get(c)?.genes ?? []))
  if (trainGenes.size === 0) throw new AppError('train.single-condition', 'The split leaves no perturbed condition to train on. Use a dataset with more perturbations or another split.')
  checkMemory(estimateMemory(config.model, data.genes.length, data.knowledge.pertGenes.length, config), config)

  const coexp = splitCoexpression(data, split)
  const ctx = buildModelContext(data, coexp, config.hidden)
  const model = createModel(spec, ctx, config.seed)
  const exampleGene = [...trainGenes].sort().find((g) => ctx.measured[ctx.pertIndex.get(g)!] >= 0) ?? [...trainGenes].sort()[0]
  materialise(model, [ctx.pertIndex.get(exampleGene)!])
  if (!resume) startFromBaselines(model, fitBaselines(data, split), data)
  storeCoexpression(model.store, coexp)
  const adam = new Adam(model.store, { lr: config.lr, weightDecay: config.weightDecay })
  const loaded: LoadedModel = { config, data, model, baseline: null, seenGenes: trainGenes, baseCache: new Map(), dispose: () => {} }
  const meta = (epoch: number): ModelMeta => ({
    format: MODEL_FORMAT,
    model: config.model,
    hidden: config.hidden,
    selfEffect: spec.selfEffect,
    uncertainty: spec.uncertainty,
    genes: ctx.G,
    pertGenes: ctx.P,
    seenGenes: [...trainGenes].sort(),
    epoch,
  })

  const epochs: EpochReport[] = resume ? [...resume.epochs] : []
  let bestEpoch = resume?.bestEpoch ?? 0
  let bestParams: ParamsArtifact | undefined
  let bestScore = bestEpoch > 0 ? (epochs.find((e) => e.epoch === bestEpoch)?.val.mse_de ?? Infinity) : Infinity
  if (resume) {
    loadParams(model.store, resume.params)
    if (resume.optimizer) adam.load(resume.optimizer)
    bestParams = resume.bestParams ?? (bestEpoch === resume.fromEpoch ? resume.params : undefined)
    if (!bestParams) {
      // The best weights were not handed back: the resumed-from checkpoint competes as it is.
      bestEpoch = resume.fromEpoch
      bestScore = epochs.find((e) => e.epoch === resume.fromEpoch)?.val.mse_de ?? Infinity
      bestParams = resume.params
    }
  }

  // Validation: what can be predicted, with its truths computed once.
  const valNames = split.val.filter((c) => index.has(c) && !unpredictableReason(loaded, index.get(c)!.genes))
  const truths = new Map<string, ConditionTruth>(valNames.map((c) => [c, conditionTruth(data, data.conditions.indexOf(index.get(c)!))]))
  const lossOptions = { ...config.loss, uncertaintyReference: config.uncertaintyReference }
  const vars = model.store.list().filter((e) => e.trainable)
  const nameOf = new Map(vars.map((e) => [e.variable.name, e.name]))

  if (!resume && valNames.length > 0) {
    // The starting point (the baselines' fit, see startFromBaselines) competes as "epoch 0": a run
    // whose epochs never beat it on validation keeps it instead of a worse trained state.
    bestScore = finiteOr(validate(model, loaded, data, valNames, truths, config).mse_de, Infinity)
    bestParams = await modelArtifact(model, meta(0))
    bestEpoch = 0
  }
  let stopped = false
  const firstEpoch = resume ? resume.fromEpoch : 0
  let lastProgress = 0
  try {
    for (let e = firstEpoch; e < config.epochs && !stopped; e++) {
      const epochStart = performance.now()
      const rand = mulberry32(hashSeed(`${config.seed}:epoch:${e}`))
      const batches = planEpoch(data, split, ctx.pertIndex, config, rand)
      const lr = learningRate(config.schedule, config.lr, e, config.epochs)
      const sums: Record<string, number> = {}
      let steps = 0
      let doneConds = 0
      let doneCells = 0
      for (let s = 0; s < batches.length; s++) {
        const batch = batches[s]
        const terms = trainStep(model, data, batch, config, lossOptions, trainingMode(Math.floor(rand() * 4294967296)), adam, lr, vars, nameOf)
        steps++
        doneConds += batch.length
        doneCells += batch.reduce((n, v) => n + v.cells.length, 0)
        for (const [k, v] of Object.entries(terms)) sums[k] = (sums[k] ?? 0) + v
        const now = performance.now()
        if (callbacks.onProgress && (now - lastProgress >= PROGRESS_MS || s === batches.length - 1)) {
          lastProgress = now
          const secs = (now - epochStart) / 1000
          const perStep = secs / steps
          const remaining = (batches.length - steps) * perStep + (config.epochs - e - 1) * batches.length * perStep
          callbacks.onProgress({
            epoch: e + 1,
            epochs: config.epochs,
            step: steps,
            stepsPerEpoch: batches.length,
            losses: Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / steps])),
            conditionsPerSecond: doneConds / secs,
            cellsPerSecond: doneCells / secs,
            etaSeconds: remaining,
            lr,
            memory: memoryNow(),
          })
        }
        if (callbacks.shouldStop?.()) {
          stopped = true
          break
        }
        // Let the worker's message loop run (cancel requests, progress delivery) after every step:
        // an epoch may have only one or two steps (a small screen, many conditions per step).
        await new Promise((r) => setImmediate(r))
      }
      if (stopped) break
      const val = validate(model, loaded, data, valNames, truths, config)
      const report: EpochReport = { epoch: e + 1, seconds: (performance.now() - epochStart) / 1000, losses: Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / Math.max(1, steps)])), val, lr }
      epochs.push(report)
      const score = finiteOr(val.mse_de, Infinity)
      const isBest = bestParams === undefined || score < bestScore
      const params = await modelArtifact(model, meta(e + 1))
      if (isBest) {
        bestScore = score
        bestEpoch = e + 1
        bestParams = params
      }
      if (callbacks.onEpoch) await callbacks.onEpoch(report, params, isBest, await adam.state())
    }
    if (bestParams) loadParams(model.store, bestParams)
    else bestParams = await modelArtifact(model, meta(0))
    loaded.baseCache.clear()
    const test = evaluate(loaded, split)
    return { split, bestEpoch, epochs, test, params: bestParams, ...(stopped ? { stopped } : {}) }
  } finally {
    adam.dispose()
    model.dispose()
    ctx.dispose()
  }
}

/**
 * Starting point (ours; model.md leaves initialisation open): the output bias holds the training
 * mean Δ and the self-effect scalars the closed-form fit of `train_mean_self`, so a model starts
 * where the `train_mean_self` baseline is and its ~20 epochs × (conditions / batch) steps go to
 * what the baselines cannot do. GEARS' random bias would spend them relearning the mean.
 * (A resumed run keeps its checkpoint's weights.)
 */
export function startFromBaselines(model: PerturbationModel, fitted: ReturnType<typeof fitBaselines>, data: TrainingData): void {
  const { store, spec } = model
  const bias = spec.mixing === 'cross-gene' ? 'indv_b2' : 'indv_b1'
  const nonZero = spec.vae ? nonZeroControlStats(data) : null
  tf.tidy(() => {
    store.get(bias).assign(tf.tensor1d(fitted.trainMeanDelta))
    // BioDSNN reads Δ straight from the per-gene linear (no cross-gene stage whose tiny xavier
    // weights damp it, as GEARS' indv_w2 does): start it at 0 so Δ starts at the training mean
    // rather than at a random, condition-dependent projection. Measured on Papalexi validation
    // genes: with GEARS' xavier init validation mse_de rose 4× over 20 epochs; from 0 it fell.
    if (spec.mixing !== 'cross-gene') store.get('indv_w1').assign(tf.zerosLike(store.get('indv_w1')))
    // GEARS reads Δ through a product, indv_w2.self · (indv_w1 · x + indv_b1), of two xavier-small
    // factors (std ≈ 0.003 and 0.02 at 5,000 genes): it grows from near 0 only slowly, and with
    // per-condition batches an epoch has ~30 optimiser steps, not the reference's ~2,000. Start it
    // as BioDSNN starts: indv_w2.self at 1 and indv_w1, indv_b1 at 0, so Δ = training mean plus a
    // per-gene readout that learns from the first step. Measured on norman-like (6 epochs):
    // training-condition mse_de 0.214 → 0.183, best validation mse_de 0.171 → 0.166.
    if (spec.mixing === 'cross-gene') {
      store.get('indv_w1').assign(tf.zerosLike(store.get('indv_w1')))
      store.get('indv_b1').assign(tf.zerosLike(store.get('indv_b1')))
      store.get('indv_w2.self').assign(tf.onesLike(store.get('indv_w2.self')))
    }
    // The VAE's output bias starts at each gene's mean non-zero control value: the regenerated
    // cell (used where the control cell is non-zero) then starts as a denoised control cell, not 0.
    // calibrateRegeneratedMean (below) then removes what the random decoder adds to its mean.
    if (nonZero) store.get('vae.out.bias').assign(tf.tensor1d(nonZero.mean))
    if (spec.selfEffect && store.has('self_effect.scale.bias')) {
      store.get('self_effect.scale.bias').assign(tf.tensor1d([fitted.selfEffect[0]]))
      store.get('self_effect.shift.bias').assign(tf.tensor1d([fitted.selfEffect[1]]))
    }
  })
  if (nonZero) calibrateRegeneratedMean(model, data, nonZero.count)
}

/**
 * Shifts the VAE's output bias so that the regenerated control cells (mean z, zeros kept zero,
 * §4) average to c̄ exactly: with torch's random decoder weights their mean differed from c̄ gene
 * by gene, and that offset sat in every prediction, so BioDSNN did not start where
 * `train_mean_self` is. The decoder keeps its random weights (zero weights, which also start at
 * c̄, validated worse on norman-like). Measured on Papalexi (5 seeds, docs/results.md).
 */
export function calibrateRegeneratedMean(model: PerturbationModel, data: TrainingData, nonZero: Float64Array): void {
  const ctrl = controlCells(data)
  const regenerated = vaeControlMean(model, data, ctrl)
  // The regenerated mean moves by δ·(non-zero share) when the bias moves by δ (zeros stay zero).
  const N = ctrl.length
  const shift = Float32Array.from(regenerated, (v, g) => (nonZero[g] > 0 ? ((data.controlMean[g] - v) * N) / nonZero[g] : 0))
  tf.tidy(() => model.store.get('vae.out.bias').assign(tf.add(model.store.get('vae.out.bias'), tf.tensor1d(shift))))
}

/** Per gene, the control cells' non-zero values: how many, and their mean (0 for a gene never detected). */
export function nonZeroControlStats(data: TrainingData): { count: Float64Array; mean: Float32Array } {
  const x = data.expression
  const sum = new Float64Array(x.nCols)
  const n = new Float64Array(x.nCols)
  for (const r of controlCells(data)) {
    for (let e = x.indptr[r]; e < x.indptr[r + 1]; e++) {
      if (x.data[e] === 0) continue
      sum[x.indices[e]] += x.data[e]
      n[x.indices[e]]++
    }
  }
  return { count: n, mean: Float32Array.from(sum, (s, g) => (n[g] ? s / n[g] : 0)) }
}

/** One optimisation step; returns the loss terms. */
function trainStep(
  model: PerturbationModel,
  data: TrainingData,
  batch: Visit[],
  config: TrainConfig,
  lossOptions: Parameters<typeof perturbationLoss>[1],
  mode: ReturnType<typeof trainingMode>,
  adam: Adam,
  lr: number,
  vars: { name: string; variable: tf.Variable }[],
  nameOf: Map<string, string>,
): Record<string, number> {
  let terms: Record<string, number> = {}
  let kept: tf.Scalar[] = []
  const { value, grads } = tf.variableGrads(() => {
    const out = model.forward(
      batch.map((v) => v.perts),
      mode,
    )
    let recon: tf.Tensor2D | undefined
    let extra: tf.Scalar | null = null
    let kl: tf.Scalar | null = null
    let rec: tf.Scalar | null = null
    if (model.vae) {
      const rows = Int32Array.from(batch.flatMap((v) => Array.from(v.controls)))
      const x = tf.tensor2d(denseRows(data.expression, rows), [rows.length, data.genes.length])
      const v = model.vae(x, mode)
      recon = v.recon
      kl = klDivergence(v.mu, v.logvar)
      rec = reconstructionLoss(v.recon, x)
      extra = tf.add(tf.mul(kl, config.loss.betaKl), tf.mul(rec, config.loss.betaReconstruction)) as tf.Scalar
    }
    const { loss, terms: t } = perturbationLoss({ delta: out.delta, visits: batch, expression: data.expression, controlMean: data.controlMean, recon, logvar: out.logvar }, lossOptions)
    terms = { autofocus: t.autofocus, direction: t.direction, ...(out.logvar ? { nll: t.nll } : {}) }
    kept = [kl, rec].filter((s): s is tf.Scalar => s !== null).map((s) => tf.keep(s))
    return extra ? (tf.add(loss, extra) as tf.Scalar) : loss
  }, vars.map((e) => e.variable))
  terms.total = value.dataSync()[0]
  if (kept.length === 2) {
    terms.kl = kept[0].dataSync()[0]
    terms.reconstruction = kept[1].dataSync()[0]
  }
  if (!Number.isFinite(terms.total)) {
    tf.dispose([value, ...kept, ...Object.values(grads)])
    throw new AppError('train.diverged', `The loss became ${terms.total}; lower the learning rate (now ${lr}).`)
  }
  const named = new Map<string, tf.Tensor>()
  for (const [k, g] of Object.entries(grads)) named.set(nameOf.get(k) ?? k, g)
  const clipped = clipByGlobalNorm(named, config.gradClip)
  adam.step(clipped.grads, lr)
  tf.dispose([value, ...kept, ...Object.values(grads), ...clipped.grads.values()])
  return terms
}

/** Validation metrics (overall mean over the validation conditions) for the current weights. */
function validate(model: PerturbationModel, loaded: LoadedModel, data: TrainingData, names: string[], truths: Map<string, ConditionTruth>, config: TrainConfig): Metrics {
  if (names.length === 0) return Object.fromEntries(METRIC_NAMES.map((k) => [k, NaN])) as Metrics
  loaded.baseCache.clear()
  const genesOf = new Map(data.conditions.map((c) => [c.condition, c.genes]))
  const rows = names.map((c) => genesOf.get(c)!.map((g) => model.ctx.pertIndex.get(g)!))
  const { means } = predictMeans(loaded, rows, {}, Math.max(2, config.batchConditions))
  const G = data.genes.length
  const preds = new Map(names.map((c, i) => [c, means.subarray(i * G, (i + 1) * G)]))
  return stripGroup(evaluatePredictions(data, names, preds, {}, truths).overall)
}

