import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from './backend'
import { ParamStore } from './layers/param-store'
import { Adam, clipByGlobalNorm, learningRate } from './optimizer'

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' })
})

/** PyTorch's Adam (weight_decay added to the gradient), written out for scalars. */
function torchAdam(p0: number[], gradsPerStep: (p: number[]) => number[], steps: number, lr: number, wd: number): number[] {
  const p = [...p0]
  const m = p.map(() => 0)
  const v = p.map(() => 0)
  for (let t = 1; t <= steps; t++) {
    const g = gradsPerStep(p)
    for (let i = 0; i < p.length; i++) {
      const gi = g[i] + wd * p[i]
      m[i] = 0.9 * m[i] + 0.1 * gi
      v[i] = 0.999 * v[i] + 0.001 * gi * gi
      const mh = m[i] / (1 - 0.9 ** t)
      const vh = v[i] / (1 - 0.999 ** t)
      p[i] -= (lr * mh) / (Math.sqrt(vh) + 1e-8)
    }
  }
  return p
}

describe('Adam', () => {
  it('follows PyTorch Adam with L2 weight decay step by step', () => {
    const store = new ParamStore(1)
    const w = store.add('w', tf.tensor1d([1, -2, 3]), true)
    const target = [0.5, 0.5, -1]
    const adam = new Adam(store, { lr: 0.1, weightDecay: 5e-4 })
    for (let s = 0; s < 7; s++) {
      const { grads } = tf.variableGrads(() => tf.sum(tf.square(tf.sub(w, target))) as tf.Scalar, [w])
      adam.step(new Map([['w', grads[w.name]]]), 0.1)
      tf.dispose(Object.values(grads))
    }
    const expected = torchAdam([1, -2, 3], (p) => p.map((x, i) => 2 * (x - target[i])), 7, 0.1, 5e-4)
    Array.from(w.dataSync()).forEach((x, i) => expect(x).toBeCloseTo(expected[i], 5))
  })

  it('saves and restores its moments so a resumed run continues identically', async () => {
    const run = async (split: boolean) => {
      const store = new ParamStore(1)
      const w = store.add('w', tf.tensor1d([1, 2]), true)
      let adam = new Adam(store, { lr: 0.05, weightDecay: 0 })
      for (let s = 0; s < 6; s++) {
        if (split && s === 3) {
          const state = await adam.state()
          adam.dispose()
          adam = new Adam(store, { lr: 0.05, weightDecay: 0 })
          adam.load(state)
        }
        const { grads } = tf.variableGrads(() => tf.sum(tf.pow(w, 4)) as tf.Scalar, [w])
        adam.step(new Map([['w', grads[w.name]]]), 0.05)
      }
      return Array.from(w.dataSync())
    }
    expect(await run(true)).toEqual(await run(false))
  })
})

describe('gradient clipping and schedules', () => {
  it('clips to the global norm like clip_grad_norm_', () => {
    const grads = new Map<string, tf.Tensor>([
      ['a', tf.tensor1d([3, 0])],
      ['b', tf.tensor1d([4])],
    ])
    const { grads: out, norm } = clipByGlobalNorm(grads, 1)
    expect(norm).toBeCloseTo(5, 6)
    expect(Array.from(out.get('a')!.dataSync())[0]).toBeCloseTo(3 / (5 + 1e-6), 6)
    expect(Array.from(out.get('b')!.dataSync())[0]).toBeCloseTo(4 / (5 + 1e-6), 6)
    const small = clipByGlobalNorm(new Map([['a', tf.tensor1d([0.3, 0.4])]]), 1)
    expect(Array.from(small.grads.get('a')!.dataSync())).toEqual([Math.fround(0.3), Math.fround(0.4)])
  })

  it('computes the reference, step and cosine learning rates', () => {
    expect([0, 1, 2, 5].map((e) => learningRate({ kind: 'reference' }, 1e-3, e, 20))).toEqual([1e-3, 5e-4, 2.5e-4, 1e-3 / 32])
    expect([0, 4, 5, 10].map((e) => learningRate({ kind: 'step', every: 5, factor: 0.5 }, 1e-3, e, 20))).toEqual([1e-3, 1e-3, 5e-4, 2.5e-4])
    expect(learningRate({ kind: 'cosine', minLr: 1e-5 }, 1e-3, 0, 11)).toBeCloseTo(1e-3, 12)
    expect(learningRate({ kind: 'cosine', minLr: 1e-5 }, 1e-3, 5, 11)).toBeCloseTo((1e-3 + 1e-5) / 2, 12)
    expect(learningRate({ kind: 'cosine', minLr: 1e-5 }, 1e-3, 10, 11)).toBeCloseTo(1e-5, 12)
  })
})
