/**
 * One optimisation step (docs/ml-engine.md §5), on one worker or as one of W data-parallel workers
 * (issue 23). The trainer (rank 0) and its peers (parallel/peer-runtime) run this same function.
 *
 * Data-parallel: each active worker takes a contiguous part of the step's visits; BatchNorm sums
 * its statistics over the active workers (ops/norms), the losses are normalised by the whole
 * step's counts, so each worker's gradient is its share of the one-worker gradient. The shares
 * are summed in rank order (parallel/collective) and every worker applies the same clipped Adam
 * update: the weights stay the same everywhere without being sent.
 */
import * as tf from '@tensorflow/tfjs'
import { AppError } from '../../src-shared/contract/envelope'
import type { TrainConfig, TrainingData } from './engine-types'
import { denseRows } from './expression'
import { trainingMode, type Shard } from './layers/mode'
import { csrRowsTensor, klDivergence, perturbationLoss, perturbationLossOps, reconstructionLoss, type LossVisit } from './losses'
import { renormStepRows } from './models/knowledge-stream'
import type { PerturbationModel } from './models/model'
import { Adam, clipByGlobalNorm, clipByGlobalNormOps } from './optimizer'
import { tensorOpsOnly } from './ops/tensor-path'
import type { Collective } from './parallel/collective'

export interface Visit extends LossVisit {
  condition: string
  /** vocabulary rows of the condition's genes */
  perts: number[]
}

/** What a step needs besides its visits: the model, its optimiser and the run's settings. */
export interface StepContext {
  model: PerturbationModel
  data: TrainingData
  config: TrainConfig
  lossOptions: Parameters<typeof perturbationLoss>[1]
  adam: Adam
  /** trainable variables in store order (the same order in every worker) */
  vars: { name: string; variable: tf.Variable }[]
  nameOf: Map<string, string>
}

/** The step context of `model`: its trainable variables in store order, the loss settings of `config`. */
export function stepContext(model: PerturbationModel, data: TrainingData, config: TrainConfig, adam: Adam): StepContext {
  const vars = model.store.list().filter((e) => e.trainable)
  return { model, data, config, lossOptions: { ...config.loss, uncertaintyReference: config.uncertaintyReference }, adam, vars, nameOf: new Map(vars.map((e) => [e.variable.name, e.name])) }
}

/** A step's loss terms: numbers on wasm and cpu, a pending read on a GPU backend. */
export type StepTerms = Record<string, number> | Promise<Record<string, number>>

/**
 * One step on one worker; returns the loss terms. `prior`: a residual model's prior rows [batch, G],
 * added to the network's Δ. On a GPU backend (ops/tensor-path) the loss is the tensor formulation and
 * the terms come back as a promise: one read of a few scalars, after the whole step is queued.
 */
export function trainStep(ctx: StepContext, batch: Visit[], prior: Float32Array | null, seed: number, lr: number): StepTerms {
  const { config, adam } = ctx
  const onDevice = tensorOpsOnly()
  const f = forwardBackward(ctx, batch, prior, seed, null)
  const named = f.grads
  if (onDevice) {
    // The update is queued whatever the loss: a non-finite one fails the run when it is read.
    const clippedGrads = clipByGlobalNormOps(named, config.gradClip)
    adam.step(clippedGrads, lr)
    const names = Object.keys(f.termTensors)
    const packed = tf.stack(Object.values(f.termTensors))
    tf.dispose([...Object.values(f.termTensors), ...named.values(), ...clippedGrads.values()])
    return packed.data().then((values) => {
      packed.dispose()
      const read = Object.fromEntries(names.map((n, i) => [n, values[i]]))
      if (!Number.isFinite(read.total)) throw new AppError('train.diverged', `The loss became ${read.total}; lower the learning rate (now ${lr}).`)
      return read
    })
  }
  return applyStep(ctx, named, f.terms, lr)
}

/** The terms every worker reports, in a fixed order (a worker idle in a step reports 0). */
const TERM_NAMES = ['total', 'autofocus', 'direction', 'nll', 'kl', 'reconstruction'] as const

/** One data-parallel step's layout: the visits [bounds[r], bounds[r + 1]) go to rank r < active. */
export interface ShardPlan {
  active: number
  bounds: number[]
}

/**
 * The step as rank `collective.rank` of W: its part of the visits (none when rank ≥ active), the
 * prior rows of its part, the same seed and learning rate in every worker. Every worker, active or
 * not, takes part in the gradient sum and applies the update.
 */
export function trainStepShard(ctx: StepContext, batch: Visit[], plan: ShardPlan, prior: Float32Array | null, seed: number, lr: number, collective: Collective): Record<string, number> {
  const { model, data } = ctx
  const r = collective.rank
  collective.active = plan.active
  // Max-norm renormalisation of the rows the whole step reads, as one worker's forward would do it.
  renormStepRows(model.store, model.ctx, batch.map((v) => v.perts))
  const mine = r < plan.active ? batch.slice(plan.bounds[r], plan.bounds[r + 1]) : []
  const flat = new Float32Array(shardBufferSize(ctx.vars))
  if (mine.length > 0) {
    const cellsBefore = batch.slice(0, plan.bounds[r]).reduce((n, v) => n + v.cells.length, 0)
    const cellTotal = batch.reduce((n, v) => n + v.cells.length, 0)
    const shard: Shard | null = plan.active > 1 ? { collective, start: plan.bounds[r], count: mine.length, total: batch.length, cellStart: cellsBefore, cells: mine.reduce((n, v) => n + v.cells.length, 0), cellTotal } : null
    const totals = shard ? { visits: batch.length, cells: cellTotal, nonZeros: controlNonZeros(data, batch) } : null
    const f = forwardBackward(ctx, mine, prior, seed, shard ? { shard, totals: totals! } : null)
    TERM_NAMES.forEach((n, i) => (flat[i] = f.terms[n] ?? 0))
    let o = TERM_NAMES.length + ctx.vars.length
    ctx.vars.forEach((e, i) => {
      const g = f.grads.get(e.name)
      if (g) {
        flat[TERM_NAMES.length + i] = 1
        flat.set(g.dataSync() as Float32Array, o)
      }
      o += e.variable.size
    })
    tf.dispose([...f.grads.values()])
  }
  const sum = collective.sumAll(flat)
  const grads = new Map<string, tf.Tensor>()
  let o = TERM_NAMES.length + ctx.vars.length
  ctx.vars.forEach((e, i) => {
    if (sum[TERM_NAMES.length + i] > 0) grads.set(e.name, tf.tensor(sum.subarray(o, o + e.variable.size), e.variable.shape, 'float32'))
    o += e.variable.size
  })
  const terms: Record<string, number> = {}
  TERM_NAMES.forEach((n, i) => {
    if (n === 'total' || n === 'autofocus' || n === 'direction' || (n === 'nll' && model.spec.uncertainty) || ((n === 'kl' || n === 'reconstruction') && model.vae)) terms[n] = sum[i]
  })
  return applyStep(ctx, grads, terms, lr)
}

/** What a worker adds to the step's sum: the terms, a has-gradient flag per parameter, the gradients. */
export function shardBufferSize(vars: StepContext['vars']): number {
  return TERM_NAMES.length + vars.length + vars.reduce((n, e) => n + e.variable.size, 0)
}

/** A visit's share of a worker's time: its cells, plus the knowledge stream's fixed cost (about as much as this many cells). */
const VISIT_COST_CELLS = 64

/**
 * Splits a step's visits into contiguous parts of about equal cost, one per worker, each with at
 * least one perturbed condition: the fuse MLP's BatchNorm sums run over the perturbed conditions,
 * and a part without one would skip the sums its backward pass takes part in. So there are at most
 * as many parts as perturbed conditions, and a step with fewer than two stays on one worker (its
 * lone condition is stacked twice for BatchNorm, knowledge-stream `conditionShifts`).
 */
export function planShards(batch: Visit[], workers: number): ShardPlan {
  const perturbed = batch.map((v) => v.perts.length > 0)
  const nPerturbed = perturbed.filter(Boolean).length
  const active = nPerturbed < 2 ? 1 : Math.max(1, Math.min(workers, nPerturbed))
  const cost = batch.map((v) => v.cells.length + VISIT_COST_CELLS)
  const total = cost.reduce((a, b) => a + b, 0)
  const bounds = [0]
  let acc = 0
  let partHasPerturbed = false
  let perturbedLeft = nPerturbed
  for (let i = 0; i < batch.length && bounds.length < active; i++) {
    acc += cost[i]
    if (perturbed[i]) {
      partHasPerturbed = true
      perturbedLeft--
    }
    // Parts after this one, each needing a perturbed condition of those left.
    const partsLeft = active - bounds.length
    const due = acc >= (total * bounds.length) / active
    // Closing is due by cost, or forced when the next perturbed condition is the last that leaves each later part one.
    const forced = perturbedLeft === partsLeft && perturbed[i + 1] === true
    if (partHasPerturbed && perturbedLeft >= partsLeft && (due || forced)) {
      bounds.push(i + 1)
      partHasPerturbed = false
    }
  }
  bounds.push(batch.length)
  return { active, bounds }
}

/** Non-zero entries of the step's paired control cells: the reconstruction loss's denominator. */
function controlNonZeros(data: TrainingData, batch: Visit[]): number {
  const { indptr, data: values } = data.expression
  let n = 0
  for (const v of batch) for (const row of v.controls) for (let e = indptr[row]; e < indptr[row + 1]; e++) if (values[e] !== 0) n++
  return n
}

/** Checks the loss, clips the gradients and applies Adam (wasm and cpu: terms are numbers). */
function applyStep(ctx: StepContext, grads: Map<string, tf.Tensor>, terms: Record<string, number>, lr: number): Record<string, number> {
  if (!Number.isFinite(terms.total)) {
    tf.dispose([...grads.values()])
    throw new AppError('train.diverged', `The loss became ${terms.total}; lower the learning rate (now ${lr}).`)
  }
  const clipped = clipByGlobalNorm(grads, ctx.config.gradClip)
  ctx.adam.step(clipped.grads, lr)
  tf.dispose([...grads.values(), ...clipped.grads.values()])
  return terms
}

interface Sharding {
  shard: Shard
  /** the whole step's visits, cells and non-zero control entries (the losses' denominators) */
  totals: { visits: number; cells: number; nonZeros: number }
}

/**
 * Forward and backward pass over `batch`: gradients by parameter name, and the loss terms (numbers
 * on wasm and cpu, scalars left on the device on a GPU backend). With `sharding`, this worker's part.
 */
function forwardBackward(
  ctx: StepContext,
  batch: Visit[],
  prior: Float32Array | null,
  seed: number,
  sharding: Sharding | null,
): { grads: Map<string, tf.Tensor>; terms: Record<string, number>; termTensors: Record<string, tf.Scalar> } {
  const { model, data, config, vars, nameOf } = ctx
  const onDevice = tensorOpsOnly()
  const mode = trainingMode(seed, sharding?.shard)
  const lossOptions = sharding ? { ...ctx.lossOptions, visitsTotal: sharding.totals.visits } : ctx.lossOptions
  let terms: Record<string, number> = {}
  let termTensors: Record<string, tf.Scalar> = {}
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
      const x = onDevice ? csrRowsTensor(data.expression, rows) : tf.tensor2d(denseRows(data.expression, rows), [rows.length, data.genes.length])
      const v = model.vae(x, mode)
      recon = v.recon
      kl = klDivergence(v.mu, v.logvar, sharding?.totals.cells)
      rec = reconstructionLoss(v.recon, x, sharding?.totals.nonZeros)
      extra = tf.add(tf.mul(kl, config.loss.betaKl), tf.mul(rec, config.loss.betaReconstruction)) as tf.Scalar
    }
    // Residual models: Δ = prior + r, r = network + scale·prior (knowledge-stream `priorScale`).
    const priorRows = prior ? tf.tensor2d(prior, [batch.length, data.genes.length]) : null
    const delta = priorRows ? (tf.add(tf.add(out.delta, priorRows), out.priorScale ? tf.mul(priorRows, out.priorScale) : 0) as tf.Tensor2D) : out.delta
    const lossInput = { delta, visits: batch, expression: data.expression, controlMean: data.controlMean, recon, logvar: out.logvar }
    let loss: tf.Scalar
    if (onDevice) {
      const r = perturbationLossOps(lossInput, lossOptions)
      loss = r.loss
      termTensors = { autofocus: tf.keep(r.terms.autofocus), direction: tf.keep(r.terms.direction), ...(out.logvar ? { nll: tf.keep(r.terms.nll) } : {}) }
    } else {
      const r = perturbationLoss(lossInput, lossOptions)
      loss = r.loss
      terms = { autofocus: r.terms.autofocus, direction: r.terms.direction, ...(out.logvar ? { nll: r.terms.nll } : {}) }
    }
    kept = [kl, rec].filter((s): s is tf.Scalar => s !== null).map((s) => tf.keep(s))
    return extra ? (tf.add(loss, extra) as tf.Scalar) : loss
  }, vars.map((e) => e.variable))
  const named = new Map<string, tf.Tensor>()
  for (const [k, g] of Object.entries(grads)) named.set(nameOf.get(k) ?? k, g)
  if (onDevice) {
    const all: Record<string, tf.Scalar> = { total: value, ...termTensors, ...(kept.length === 2 ? { kl: kept[0], reconstruction: kept[1] } : {}) }
    return { grads: named, terms, termTensors: all }
  }
  terms.total = value.dataSync()[0]
  if (kept.length === 2) {
    terms.kl = kept[0].dataSync()[0]
    terms.reconstruction = kept[1].dataSync()[0]
  }
  tf.dispose([value, ...kept])
  return { grads: named, terms, termTensors }
}
