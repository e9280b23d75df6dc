/**
 * Adam as PyTorch's `torch.optim.Adam` applies weight decay (L2 added to the gradient before the
 * moments, not AdamW's decoupled decay), after clipping the loss gradients at a global norm
 * (`clip_grad_norm_`), plus the learning-rate schedules of docs/ml-engine.md §5. A parameter without a
 * gradient in a step is left alone (PyTorch skips `grad is None`), its step count included.
 */
import * as tf from '@tensorflow/tfjs'
import type { LrSchedule } from './engine-types'
import { ParamStore } from './layers/param-store'
import { addAll } from './ops/tensor-path'
import { loadParams, saveParams, type ParamsArtifact } from './serialize'

export interface AdamOptions {
  lr: number
  weightDecay: number
  beta1?: number
  beta2?: number
  eps?: number
}

interface Slot {
  m: tf.Variable
  v: tf.Variable
  step: number
}

export class Adam {
  private readonly slots = new Map<string, Slot>()
  readonly beta1: number
  readonly beta2: number
  readonly eps: number

  constructor(
    private readonly params: ParamStore,
    readonly options: AdamOptions,
  ) {
    this.beta1 = options.beta1 ?? 0.9
    this.beta2 = options.beta2 ?? 0.999
    this.eps = options.eps ?? 1e-8
  }

  /** One update with `grads` (by parameter name) at learning rate `lr`. */
  step(grads: Map<string, tf.Tensor>, lr: number): void {
    const { beta1: b1, beta2: b2, eps } = this
    const wd = this.options.weightDecay
    for (const [name, g] of grads) {
      const p = this.params.get(name)
      let slot = this.slots.get(name)
      if (!slot) {
        slot = { m: tf.variable(tf.zerosLike(p), false), v: tf.variable(tf.zerosLike(p), false), step: 0 }
        this.slots.set(name, slot)
      }
      const s = slot
      s.step++
      const c1 = 1 - Math.pow(b1, s.step)
      const c2 = 1 - Math.pow(b2, s.step)
      tf.tidy(() => {
        const grad = wd > 0 ? tf.add(g, tf.mul(p, wd)) : g
        const m = tf.add(tf.mul(s.m, b1), tf.mul(grad, 1 - b1))
        const v = tf.add(tf.mul(s.v, b2), tf.mul(tf.square(grad), 1 - b2))
        s.m.assign(m)
        s.v.assign(v)
        // p −= lr · m̂ / (√v̂ + eps), with m̂ = m / c1 and v̂ = v / c2 (PyTorch's formulation).
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(c2)), eps)
        p.assign(tf.sub(p, tf.mul(tf.div(m, denom), lr / c1)))
      })
    }
  }

  /** Moments and step counts as a params artefact (for checkpoints and resume). */
  async state(): Promise<ParamsArtifact> {
    const store = new ParamStore(0)
    for (const [name, s] of this.slots) {
      store.add(`m/${name}`, tf.clone(s.m), false)
      store.add(`v/${name}`, tf.clone(s.v), false)
      store.add(`step/${name}`, tf.scalar(s.step), false)
    }
    const artifact = await saveParams(store)
    store.dispose()
    return artifact
  }

  load(artifact: ParamsArtifact): void {
    const store = new ParamStore(0)
    loadParams(store, artifact)
    for (const e of store.list()) {
      if (!e.name.startsWith('step/')) continue
      const name = e.name.slice('step/'.length)
      if (!this.params.has(name)) continue
      this.slots.get(name)?.m.dispose()
      this.slots.get(name)?.v.dispose()
      this.slots.set(name, { m: tf.variable(tf.clone(store.get(`m/${name}`)), false), v: tf.variable(tf.clone(store.get(`v/${name}`)), false), step: e.variable.dataSync()[0] })
    }
    store.dispose()
  }

  dispose(): void {
    for (const s of this.slots.values()) tf.dispose([s.m, s.v])
    this.slots.clear()
  }
}

/**
 * Scales gradients so their global L2 norm is at most `maxNorm` (PyTorch: coefficient
 * maxNorm / (norm + 1e-6), applied only when below 1). Returns new tensors and the norm before clipping.
 */
export function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): { grads: Map<string, tf.Tensor>; norm: number } {
  const list = [...grads.values()]
  const sq = list.length ? tf.tidy(() => tf.addN(list.map((g) => tf.sum(tf.square(g)))).dataSync()[0]) : 0
  const norm = Math.sqrt(sq)
  const coef = maxNorm / (norm + 1e-6)
  const out = new Map<string, tf.Tensor>()
  for (const [name, g] of grads) out.set(name, coef < 1 ? tf.mul(g, coef) : tf.clone(g))
  return { grads: out, norm }
}

/** clipByGlobalNorm with the norm and coefficient kept on the device (GPU backends: no read per step). Same numbers to float32 rounding. */
export function clipByGlobalNormOps(grads: Map<string, tf.Tensor>, maxNorm: number): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>()
  const list = [...grads.values()]
  if (!list.length) return out
  const coef = tf.tidy(() => tf.minimum(tf.div(maxNorm, tf.add(tf.sqrt(addAll(list.map((g) => tf.sum(tf.square(g))))), 1e-6)), 1))
  for (const [name, g] of grads) out.set(name, tf.mul(g, coef))
  coef.dispose()
  return out
}

/** Learning rate for `epoch` (0-based) of `epochs`. */
export function learningRate(schedule: LrSchedule, lr: number, epoch: number, epochs: number): number {
  switch (schedule.kind) {
    case 'reference':
      return lr * Math.pow(0.5, epoch)
    case 'step':
      return lr * Math.pow(schedule.factor, Math.floor(epoch / schedule.every))
    case 'cosine':
      return epochs <= 1 ? lr : schedule.minLr + 0.5 * (lr - schedule.minLr) * (1 + Math.cos((Math.PI * epoch) / (epochs - 1)))
  }
}
