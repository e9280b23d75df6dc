/**
 * The GEARS knowledge stream (docs/ml-engine.md §3), shared by GEARS and BioDSNN, as functional layers on a
 * ParamStore. Weight names follow GEARS' modules (gene_emb, emb_pos, pert_emb, pert_fuse, …).
 *
 * A batch is a list of conditions (each a list of perturbation-vocabulary rows, [] for ctrl).
 * Step 1 (gene embeddings + co-expression SGConv) runs once per batch; step 2 (GO SGConv) only for
 * the vocabulary rows the batch needs (one hop: a row's output depends only on its incoming
 * edges, so this equals running it over all P rows); steps 3–5 are batched over conditions.
 */
import * as tf from '@tensorflow/tfjs'
import { dense } from '../layers/dense'
import { embedding } from '../layers/embedding'
import { unsharded, type ForwardMode } from '../layers/mode'
import type { Init, ParamStore } from '../layers/param-store'
import { sgconv } from '../layers/sgconv'
import { linear } from '../ops/linear'
import { perGeneLinear } from '../ops/per-gene-linear'
import { gatherRows, segmentSum } from '../ops/segment'
import type { ModelContext } from './context'
import { broadcastShifts, fastBatchNorm as batchNorm, fastMlp as mlp } from './layers'

/** PyTorch's xavier_normal_ std for a tensor of shape (fanOutDim, fanInDim, receptive…). */
const xavierNormal = (fanIn: number, fanOut: number): Init => ({ kind: 'normal', std: Math.sqrt(2 / (fanIn + fanOut)) })

/** Step 1: [G, H] gene states shared by every condition of the batch. */
export function geneBase(store: ParamStore, ctx: ModelContext, forward: ForwardMode): tf.Tensor2D {
  // The same for every condition: a data-parallel worker computes it whole, its BatchNorms unsummed.
  const mode = unsharded(forward)
  return tf.tidy(() => {
    const emb = tf.relu(batchNorm(store, 'bn_emb', embedding(store, 'gene_emb', ctx.G, ctx.H, { maxNorm: 1 }), mode))
    const pos = sgconv(store, 'layers_emb_pos.0', embedding(store, 'emb_pos', ctx.G, ctx.H, { maxNorm: 1 }), ctx.coexp, ctx.H)
    return mlp(store, 'emb_trans_v2', tf.add(emb, tf.mul(pos, 0.2)) as tf.Tensor2D, [ctx.H, ctx.H, ctx.H], mode)
  })
}

export interface PertStates {
  /** vocabulary row → row of `h` */
  local: Map<number, number>
  /** [U, H] SGConv_GO output for the rows the batch uses */
  h: tf.Tensor2D
}

/** The pert_emb rows step 2 reads for `conditions`: the sources of their perturbation-graph edges. */
export function pertRowsRead(ctx: ModelContext, conditions: number[][]): Int32Array {
  const rows = new Set<number>()
  for (const p of new Set(conditions.flat())) for (const { graph } of ctx.pertGraphs) for (let e = graph.ptr[p]; e < graph.ptr[p + 1]; e++) rows.add(graph.src[e])
  return Int32Array.from([...rows].sort((a, b) => a - b))
}

/**
 * Data-parallel training: the max-norm renormalisation of the pert_emb rows the whole step reads
 * (embedding), so that every worker's table changes as one worker's would; each worker's own
 * forward pass then finds its rows within the norm already.
 */
export function renormStepRows(store: ParamStore, ctx: ModelContext, conditions: number[][]): void {
  const rows = pertRowsRead(ctx, conditions)
  if (rows.length) embedding(store, 'pert_emb', ctx.P, ctx.H, { maxNorm: 1, indices: rows }).dispose()
}

/** Step 2 for the vocabulary rows in `conditions`. */
export function pertStates(store: ParamStore, ctx: ModelContext, conditions: number[][]): PertStates {
  const needed = [...new Set(conditions.flat())].sort((a, b) => a - b)
  const local = new Map(needed.map((p, i) => [p, i]))
  if (needed.length === 0) {
    // Keep the parameters registered (a batch of ctrl only) without touching the table.
    store.param('pert_emb.weight', [ctx.P, ctx.H], { kind: 'normal', std: 1 })
    return { local, h: tf.zeros([0, ctx.H]) as tf.Tensor2D }
  }
  // One SGConv hop per perturbation graph, each with its own linear; their outputs are summed (docs/ml-engine.md §2).
  const hops = ctx.pertGraphs.map(({ name, graph: { ptr, src, weight } }) => {
    const srcRows: number[] = []
    const seg: number[] = []
    const w: number[] = []
    needed.forEach((p, i) => {
      for (let e = ptr[p]; e < ptr[p + 1]; e++) {
        srcRows.push(src[e])
        seg.push(i)
        w.push(weight[e])
      }
    })
    return { layer: name === 'go' ? 'sim_layers.0.lin' : 'sim_layers.reactome.lin', srcRows, seg, w }
  })
  // Look up each source row once (max-norm renormalises exactly the rows read, as PyTorch does).
  const uniq = pertRowsRead(ctx, conditions)
  const at = new Map(Array.from(uniq, (r, i) => [r, i]))
  return {
    local,
    h: tf.tidy(() => {
      const table = embedding(store, 'pert_emb', ctx.P, ctx.H, { maxNorm: 1, indices: uniq })
      const outs = hops.map(({ layer, srcRows, seg, w }) => {
        const idx = tf.tensor1d(Int32Array.from(srcRows, (r) => at.get(r)!), 'int32')
        const segIds = tf.tensor1d(Int32Array.from(seg), 'int32')
        const msgs = tf.mul(gatherRows(table, idx), tf.tensor2d(Float32Array.from(w), [w.length, 1])) as tf.Tensor2D
        return dense(store, layer, segmentSum(msgs, segIds, needed.length), ctx.H)
      })
      return (outs.length === 1 ? outs[0] : tf.addN(outs)) as tf.Tensor2D
    }),
  }
}

/**
 * Step 3's per-condition vector: [B, H] fuse(Σ_{j∈S} h_pert[j]) for each condition (0 for ctrl).
 * Every gene row of the condition gets the same vector (`fuseConditions`).
 */
export function conditionShifts(store: ParamStore, ctx: ModelContext, pert: PertStates, conditions: number[][], mode: ForwardMode): tf.Tensor2D {
  const B = conditions.length
  const { H } = ctx
  return tf.tidy(() => {
    const withPerts = conditions.map((c, b) => (c.length ? b : -1)).filter((b) => b >= 0)
    if (withPerts.length === 0) {
      // A data-parallel part always holds a perturbed condition (train-step `planShards`): the fuse MLP's BatchNorm sums need every part.
      if (mode.shard) throw new Error('a data-parallel part has no perturbed condition')
      return tf.zeros([B, H]) as tf.Tensor2D
    }
    // Σ_{j∈S} h_pert[j] per condition, as a segment sum over (condition, gene) pairs.
    const rows: number[] = []
    const seg: number[] = []
    withPerts.forEach((b, i) => {
      for (const p of conditions[b]) {
        rows.push(pert.local.get(p)!)
        seg.push(i)
      }
    })
    let sums = segmentSum(gatherRows(pert.h, tf.tensor1d(Int32Array.from(rows), 'int32')), tf.tensor1d(Int32Array.from(seg), 'int32'), withPerts.length)
    // BatchNorm needs two rows; GEARS stacks a lone condition twice for the same reason. (A step
    // with one perturbed condition is never split over workers: parallel/shards.)
    const lone = withPerts.length === 1 && mode.training && !mode.shard
    if (lone) sums = tf.concat([sums, sums], 0)
    let fused = mlp(store, 'pert_fuse', sums, [H, H, H], mode)
    if (lone) fused = tf.slice(fused, [0, 0], [1, H])
    // Scatter the fused rows back to their conditions (ctrl rows stay 0).
    return withPerts.length === B ? fused : segmentSum(fused, tf.tensor1d(Int32Array.from(withPerts), 'int32'), B)
  })
}

/**
 * Residual models (docs/ml-engine.md §11.2): a scale of the prior per condition, [B, 1], read from the
 * condition's fused perturbation vector and starting at 0. The correction r = network + scale·prior
 * can then say "this pair is sub-additive" or "this gene's estimate is too strong" in one number,
 * which a per-gene readout that never sees the prior cannot.
 */
export function priorScale(store: ParamStore, shifts: tf.Tensor2D): tf.Tensor2D {
  const zeros: Init = { kind: 'zeros' }
  return dense(store, 'prior_scale', shifts, 1, { init: zeros, biasInit: zeros })
}

/** Step 3: [B·G, H] post-perturbation gene states (base + fuse(Σ h_pert) on every gene row). */
export function fuseConditions(store: ParamStore, ctx: ModelContext, base: tf.Tensor2D, pert: PertStates, conditions: number[][], mode: ForwardMode): tf.Tensor2D {
  return tf.tidy(() => broadcastShifts(base, conditionShifts(store, ctx, pert, conditions, mode)))
}

/**
 * Step 4 head: BatchNorm → ReLU (returned for the uncertainty head) and MLP [H, 2H, H] → per-gene
 * linear → z [B, G]. With `genes` (inference only: BatchNorm then uses its running statistics, so
 * rows are independent), x holds only those genes' rows of each condition and z is [B, genes].
 */
export function recovery(store: ParamStore, ctx: ModelContext, x: tf.Tensor2D, B: number, mode: ForwardMode, genes?: Int32Array): { z: tf.Tensor2D; hidden: tf.Tensor2D } {
  const { G, H } = ctx
  if (genes && mode.training) throw new Error('recovery: a gene subset is for inference only (BatchNorm couples the rows in training)')
  return tf.tidy(() => {
    const hidden = tf.relu(batchNorm(store, 'bn_pert_base', x, mode)) as tf.Tensor2D
    const out = mlp(store, 'recovery_w', hidden, [H, 2 * H, H], mode)
    let w1 = store.param('indv_w1', [G, H], xavierNormal(H, G)) as tf.Tensor2D
    let b1 = store.param('indv_b1', [G], xavierNormal(1, G)) as tf.Tensor1D
    if (genes) {
      const idx = tf.tensor1d(genes, 'int32')
      w1 = tf.gather(w1, idx)
      b1 = tf.gather(b1, idx)
    }
    const z = perGeneLinear(out, w1, b1, B)
    return { z, hidden }
  })
}

/** Step 5: cross-gene MLP [G, H, H] over z, then a per-gene linear over concat(z_g, c) → Δ [B, G]. */
export function crossGene(store: ParamStore, ctx: ModelContext, z: tf.Tensor2D, mode: ForwardMode): tf.Tensor2D {
  const { G, H } = ctx
  return tf.tidy(() => {
    const c = mlp(store, 'cross_gene_state', z, [G, H, H], mode)
    // indv_w2 (1, G, H + 1) split into its z column and its [H, G] cross part (plain 2-D matMul).
    const std = xavierNormal(G * (H + 1), H + 1)
    const wSelf = store.param('indv_w2.self', [G], std)
    const wCross = store.param('indv_w2.cross', [H, G], std) as tf.Tensor2D
    const b2 = store.param('indv_b2', [G], xavierNormal(G, 1)) as tf.Tensor1D
    return tf.add(tf.mul(z, wSelf), linear(c, wCross, b2)) as tf.Tensor2D
  })
}

/** §3.7: log-variance per gene from the step-4 input, MLP [H, 2H, H, 1]; [B, G], or [B, genes] for `recovery`'s subset. */
export function uncertaintyHead(store: ParamStore, ctx: ModelContext, hidden: tf.Tensor2D, B: number, mode: ForwardMode): tf.Tensor2D {
  return tf.tidy(() => tf.reshape(mlp(store, 'uncertainty_w', hidden, [ctx.H, 2 * ctx.H, ctx.H, 1], mode), [B, hidden.shape[0] / B]) as tf.Tensor2D)
}

/**
 * §3.8 self-effect link: for each measured perturbed gene g of a condition, Δ_g += (a + u·h_j)·c̄_g
 * + (b + v·h_j), with h_j the gene's GO-propagated embedding. a, b are the modality's scalars (one
 * modality per screen); u, v refine them per gene and start at 0, so the link starts switched off.
 */
export function selfEffect(store: ParamStore, ctx: ModelContext, pert: PertStates, conditions: number[][], columns?: Int32Array): tf.Tensor2D | null {
  // [B, G], or [B, columns] with only those genes (a perturbed gene outside them is left out)
  const G = columns ? columns.length : ctx.G
  const column = columns ? new Map(Array.from(columns, (g, k) => [g, k])) : null
  const B = conditions.length
  const rows: number[] = []
  const genes: number[] = []
  const ids: number[] = []
  conditions.forEach((c, b) => {
    for (const p of c) {
      const g = ctx.measured[p]
      const at = column ? (column.get(g) ?? -1) : g
      if (g < 0 || at < 0) continue
      rows.push(pert.local.get(p)!)
      genes.push(g)
      ids.push(b * G + at)
    }
  })
  const zeros: Init = { kind: 'zeros' }
  if (rows.length === 0) {
    // Register the parameters so every batch sees the same set.
    for (const n of ['self_effect.scale', 'self_effect.shift']) {
      store.param(`${n}.weight`, [ctx.H, 1], zeros)
      store.param(`${n}.bias`, [1], zeros)
    }
    return null
  }
  return tf.tidy(() => {
    const h = gatherRows(pert.h, tf.tensor1d(Int32Array.from(rows), 'int32'))
    const scale = dense(store, 'self_effect.scale', h, 1, { init: zeros, biasInit: zeros })
    const shift = dense(store, 'self_effect.shift', h, 1, { init: zeros, biasInit: zeros })
    const cbar = tf.reshape(tf.gather(ctx.controlMean, tf.tensor1d(Int32Array.from(genes), 'int32')), [genes.length, 1])
    const values = tf.add(tf.mul(scale, cbar), shift) as tf.Tensor2D
    return tf.reshape(segmentSum(values, tf.tensor1d(Int32Array.from(ids), 'int32'), B * G), [B, G]) as tf.Tensor2D
  })
}
