import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../backend'
import { finiteDifferences, gradsOf, maxAbsDiff, randomTensor } from '../../test-support/tensors'
import { batchNorm } from './batch-norm'
import { dense } from './dense'
import { embedding } from './embedding'
import { layerNorm } from './layer-norm'
import { mlp } from './mlp'
import { inferenceMode, trainingMode } from './mode'
import { ParamStore, torchLinearInit } from './param-store'

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' })
})

describe('ParamStore', () => {
  it('initialises each name from (seed, name), whatever the creation order', () => {
    const a = new ParamStore(5)
    const b = new ParamStore(5)
    const wa = a.param('x.weight', [4, 3], torchLinearInit(4))
    a.param('y.weight', [2], { kind: 'normal', std: 1 })
    b.param('y.weight', [2], { kind: 'normal', std: 1 })
    const wb = b.param('x.weight', [4, 3], torchLinearInit(4))
    expect(Array.from(wa.dataSync())).toEqual(Array.from(wb.dataSync()))
    expect(wa.dataSync().every((v) => Math.abs(v) <= 0.5)).toBe(true)
    expect(Array.from(new ParamStore(6).param('x.weight', [4, 3], torchLinearInit(4)).dataSync())).not.toEqual(Array.from(wa.dataSync()))
    expect(a.param('x.weight', [4, 3], { kind: 'zeros' })).toBe(wa)
    expect(() => a.param('x.weight', [3, 4], { kind: 'zeros' })).toThrow(/shape \[4, 3\], asked for \[3, 4\]/)
    expect(a.list().map((e) => e.name)).toEqual(['x.weight', 'y.weight'])
    a.dispose()
    b.dispose()
  })
})

describe('batchNorm', () => {
  it('normalises with batch statistics in training and moves the running statistics like PyTorch', () => {
    const store = new ParamStore(1)
    const x = tf.tensor2d([1, 10, 2, 20, 3, 30, 6, 60], [4, 2])
    const y = batchNorm(store, 'bn', x, trainingMode(1))
    const mean0 = 3
    const biasedVar0 = (4 + 1 + 0 + 9) / 4
    expect(y.dataSync()[0]).toBeCloseTo((1 - mean0) / Math.sqrt(biasedVar0 + 1e-5), 5)
    expect(Array.from(store.get('bn.running_mean').dataSync())).toEqual([expect.closeTo(0.3, 6), expect.closeTo(3, 5)])
    // Unbiased variance for the running estimate: 14 / 3 and 1400 / 3.
    expect(Array.from(store.get('bn.running_var').dataSync())).toEqual([expect.closeTo(0.9 + 0.1 * (14 / 3), 5), expect.closeTo(0.9 + 0.1 * (1400 / 3), 3)])
    expect(store.trainableVariables()).toHaveLength(2)
    const inf = batchNorm(store, 'bn', x, inferenceMode).dataSync()
    expect(inf[0]).toBeCloseTo((1 - 0.3) / Math.sqrt(0.9 + 0.1 * (14 / 3) + 1e-5), 5)
    expect(() => batchNorm(store, 'bn', tf.zeros([1, 2]) as tf.Tensor2D, trainingMode(1))).toThrow(/more than one row/)
  })

  it('has the gradient of tf.moments + tf.batchNorm (independent formulation)', () => {
    const store = new ParamStore(2)
    const x = randomTensor([30, 5], 3)
    const gamma = store.param('bn.gamma', [5], { kind: 'normal', std: 1 })
    const beta = store.param('bn.beta', [5], { kind: 'normal', std: 1 })
    const ours = gradsOf((xi, g, b) => {
      void g
      void b
      return batchNorm(store, 'bn', xi as tf.Tensor2D, trainingMode(1))
    }, [x, gamma, beta])
    const ref = gradsOf((xi, g, b) => {
      const { mean, variance } = tf.moments(xi, 0)
      return tf.batchNorm(xi, mean, variance, b, g, 1e-5)
    }, [x, gamma, beta])
    expect(maxAbsDiff(ours.value, ref.value)).toBeLessThanOrEqual(1e-5)
    for (let i = 0; i < 3; i++) expect(maxAbsDiff(ours.grads[i], ref.grads[i])).toBeLessThanOrEqual(1e-5)
  })
})

describe('layerNorm', () => {
  it('normalises each row and has gradients that match finite differences', () => {
    const store = new ParamStore(3)
    const x = randomTensor([6, 10], 4, 3)
    const y = layerNorm(store, 'ln', x as tf.Tensor2D).arraySync() as number[][]
    for (const row of y) {
      const mean = row.reduce((a, b) => a + b, 0) / row.length
      expect(Math.abs(mean)).toBeLessThan(1e-6)
      expect(row.reduce((a, b) => a + (b - mean) ** 2, 0) / row.length).toBeCloseTo(1, 4)
    }
    const xv = tf.variable(x)
    const r = randomTensor([6, 10], 5)
    store.get('ln.gamma').assign(randomTensor([10], 6))
    const loss = () => tf.sum(tf.mul(layerNorm(store, 'ln', xv as tf.Tensor2D), r)) as tf.Scalar
    const { grads } = tf.variableGrads(loss, [xv, store.get('ln.gamma')])
    const entries = [0, 7, 13, 42, 59]
    const fd = finiteDifferences(loss, xv, entries)
    const g = grads[xv.name].dataSync()
    entries.forEach((e, i) => expect(g[e]).toBeCloseTo(fd[i], 2))
  })
})

describe('mlp', () => {
  it('stacks Linear, BatchNorm, ReLU without the last ReLU and checks its input width', () => {
    const store = new ParamStore(4)
    const x = randomTensor([20, 8], 7)
    const y = mlp(store, 'm', x as tf.Tensor2D, [8, 16, 4], trainingMode(2))
    expect(y.shape).toEqual([20, 4])
    expect(y.dataSync().some((v) => v < 0)).toBe(true)
    expect(store.list().map((e) => e.name)).toEqual([
      'm.0.bn.beta', 'm.0.bn.gamma', 'm.0.bn.running_mean', 'm.0.bn.running_var', 'm.0.linear.bias', 'm.0.linear.weight',
      'm.1.bn.beta', 'm.1.bn.gamma', 'm.1.bn.running_mean', 'm.1.bn.running_var', 'm.1.linear.bias', 'm.1.linear.weight',
    ])
    expect(store.size()).toBe(8 * 16 + 16 + 16 * 4 + 4 + 2 * 16 + 2 * 4)
    expect(() => mlp(store, 'm', x as tf.Tensor2D, [4, 4], inferenceMode)).toThrow(/8 columns, sizes start at 4/)
    expect(dense(store, 'd', x as tf.Tensor2D, 3, { bias: false }).shape).toEqual([20, 3])
  })
})

describe('embedding', () => {
  it('renormalises looked-up rows above max-norm 1 in the table and leaves the others', () => {
    const store = new ParamStore(5)
    const all = embedding(store, 'e', 12, 4).arraySync() as number[][]
    const norm = (r: number[]) => Math.hypot(...r)
    expect(all.some((r) => norm(r) > 1)).toBe(true)
    const picked = Int32Array.from([2, 5, 5])
    const out = embedding(store, 'e', 12, 4, { maxNorm: 1, indices: picked }).arraySync() as number[][]
    const table = store.get('e.weight').arraySync() as number[][]
    for (const r of [2, 5]) expect(norm(table[r])).toBeLessThanOrEqual(1 + 1e-6)
    expect(out[1]).toEqual(table[5])
    for (let r = 0; r < 12; r++) if (r !== 2 && r !== 5) expect(table[r]).toEqual(all[r])
    const full = embedding(store, 'e', 12, 4, { maxNorm: 1 }).arraySync() as number[][]
    expect(full.every((r) => norm(r) <= 1 + 1e-6)).toBe(true)
  })

  it('sends gradients to the looked-up rows, summing duplicates', () => {
    const store = new ParamStore(6)
    embedding(store, 'e', 5, 3)
    const table = store.get('e.weight')
    const idx = Int32Array.from([1, 3, 1])
    const { grads } = tf.variableGrads(() => tf.sum(embedding(store, 'e', 5, 3, { indices: idx })) as tf.Scalar, [table])
    expect(Array.from(grads[table.name].dataSync())).toEqual([0, 0, 0, 2, 2, 2, 0, 0, 0, 1, 1, 1, 0, 0, 0])
  })
})
