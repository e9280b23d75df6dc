/**
 * The tensor-op formulations GPU backends run (ops/tensor-path) against the typed-array ops wasm and
 * cpu run: same values and gradients, and a whole training run that ends in the same place. On wasm
 * here, with the tensor path forced, so a formulation error shows without a GPU.
 */
import * as tf from '@tensorflow/tfjs'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../backend'
import { defaultTrainConfig } from '../config'
import type { ModelName } from '../engine-types'
import { perturbationLoss, perturbationLossOps, type LossVisit, type PerturbationLossOptions } from '../losses'
import { blockDiagonal } from '../models/biodsnn'
import { clipByGlobalNorm, clipByGlobalNormOps } from '../optimizer'
import { mulberry32 } from '../random'
import { tinyScreen, toCsr } from '../../test-support/tiny-screen'
import { gradsOf, maxAbsDiff, randomTensor } from '../../test-support/tensors'
import { train } from '../trainer'
import { randomPathwayMask } from './attention-mask'
import { blockMaskedAttention } from './full-attention'
import { perGeneLinear } from './per-gene-linear'
import { sparseAttention } from './sparse-attention'
import { forceTensorOps, tensorOpsOnly } from './tensor-path'

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' })
})
afterEach(() => forceTensorOps(null))

/** f on the typed-array path and on the tensor path. */
function bothPaths<T>(f: () => T): { typed: T; tensor: T } {
  forceTensorOps(false)
  const typed = f()
  forceTensorOps(true)
  const tensor = f()
  forceTensorOps(null)
  return { typed, tensor }
}

const relDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => maxAbsDiff(a, b) / Math.max(1e-12, ...Array.from(a, Math.abs))

describe('tensor-op formulations (GPU backends) equal the typed-array ops', () => {
  it('chooses by backend: typed arrays on wasm, unless forced', () => {
    expect(tensorOpsOnly()).toBe(false)
    forceTensorOps(true)
    expect(tensorOpsOnly()).toBe(true)
  })

  it('masked attention: dense per condition with the bias mask = the CSR op on the block-diagonal mask, dropout included', () => {
    const G = 40
    const blocks = 3
    const mask = randomPathwayMask(G, 300, mulberry32(5))
    const big = blockDiagonal(mask, blocks)
    const [q, k, v] = [1, 2, 3].map((s) => randomTensor([G * blocks, 8], s))
    for (const dropout of [undefined, { rate: 0.2, seed: 11 }]) {
      const sparse = gradsOf((a, b, c) => sparseAttention(a as tf.Tensor2D, b as tf.Tensor2D, c as tf.Tensor2D, big, 2, dropout), [q, k, v])
      const dense = gradsOf((a, b, c) => blockMaskedAttention(a as tf.Tensor2D, b as tf.Tensor2D, c as tf.Tensor2D, mask, blocks, 2, dropout), [q, k, v])
      expect(maxAbsDiff(dense.value, sparse.value)).toBeLessThan(1e-5)
      dense.grads.forEach((g, i) => expect(maxAbsDiff(g, sparse.grads[i])).toBeLessThan(1e-4))
    }
    tf.dispose([q, k, v])
  })

  it('per-gene linear', () => {
    const [x, w, b] = [randomTensor([3 * 20, 6], 1), randomTensor([20, 6], 2), randomTensor([20], 3)]
    const r = bothPaths(() => gradsOf((a, c, d) => perGeneLinear(a as tf.Tensor2D, c as tf.Tensor2D, d as tf.Tensor1D, 3), [x, w, b]))
    expect(maxAbsDiff(r.tensor.value, r.typed.value)).toBeLessThan(1e-5)
    r.tensor.grads.forEach((g, i) => expect(maxAbsDiff(g, r.typed.grads[i])).toBeLessThan(1e-4))
    tf.dispose([x, w, b])
  })

  it.each([
    ['γ = 2, tanh direction', { gamma: 2, lambdaDirection: 0.01, direction: 'tanh', tanhK: 3 }, false, false],
    ['γ = 1.5, sign direction, uncertainty NLL, VAE cells', { gamma: 1.5, lambdaDirection: 0.1, direction: 'sign', tanhK: 3 }, true, true],
    ['reference NLL', { gamma: 2, lambdaDirection: 0.01, direction: 'tanh', tanhK: 3, uncertaintyReference: true }, true, false],
  ] as [string, PerturbationLossOptions, boolean, boolean][])('the per-cell loss (%s): value, terms and gradients', (_name, options, withLogvar, withRecon) => {
    const G = 25
    const rand = mulberry32(7)
    const rows = Array.from({ length: 40 }, () => Float32Array.from({ length: G }, () => (rand() < 0.5 ? 0 : rand() * 3)))
    const x = toCsr(rows, G)
    const visits: LossVisit[] = [
      { cells: Int32Array.from([0, 1, 2, 3]), controls: Int32Array.from([30, 31, 32, 33]), genes: Int32Array.from([1, 4, 7, 9, 20]) },
      { cells: Int32Array.from([]), controls: Int32Array.from([]), genes: null },
      { cells: Int32Array.from([5, 6, 7]), controls: Int32Array.from([34, 35, 30]), genes: null },
    ]
    const controlMean = Float32Array.from({ length: G }, () => rand() * 2)
    const delta = randomTensor([3, G], 3, 0.5) as tf.Tensor2D
    const logvar = randomTensor([3, G], 4, 0.3) as tf.Tensor2D
    const recon = randomTensor([7, G], 5) as tf.Tensor2D
    const inputs = [delta, ...(withRecon ? [recon] : []), ...(withLogvar ? [logvar] : [])]
    const lossOf = (op: typeof perturbationLoss | typeof perturbationLossOps) => (...t: tf.Tensor[]) =>
      op({ delta: t[0] as tf.Tensor2D, visits, expression: x, controlMean, recon: withRecon ? (t[1] as tf.Tensor2D) : undefined, logvar: withLogvar ? (t[withRecon ? 2 : 1] as tf.Tensor2D) : undefined }, options).loss
    const typed = gradsOf(lossOf(perturbationLoss), inputs)
    const tensor = gradsOf(lossOf(perturbationLossOps), inputs)
    expect(typed.value[0]).toBeGreaterThan(0)
    expect(relDiff(typed.value, tensor.value)).toBeLessThan(1e-5)
    tensor.grads.forEach((g, i) => expect(relDiff(typed.grads[i], g)).toBeLessThan(1e-4))
    // the terms, unweighted
    const t = perturbationLoss({ delta, visits, expression: x, controlMean, logvar: withLogvar ? logvar : undefined }, options).terms
    const o = perturbationLossOps({ delta, visits, expression: x, controlMean, logvar: withLogvar ? logvar : undefined }, options).terms
    for (const k of ['autofocus', 'direction', 'nll'] as const) expect(Math.abs(o[k].dataSync()[0] - t[k])).toBeLessThan(1e-5 * Math.max(1, Math.abs(t[k])))
    tf.dispose([delta, logvar, recon])
  })

  it('gradient clipping at a global norm, clipped or not', () => {
    const grads = new Map([
      ['a', randomTensor([10, 4], 1)],
      ['b', randomTensor([4], 2)],
    ])
    for (const maxNorm of [1, 100]) {
      const js = clipByGlobalNorm(grads, maxNorm).grads
      const ops = clipByGlobalNormOps(grads, maxNorm)
      for (const name of grads.keys()) expect(maxAbsDiff(ops.get(name)!.dataSync(), js.get(name)!.dataSync())).toBeLessThan(1e-6)
      tf.dispose([...js.values(), ...ops.values()])
    }
    tf.dispose([...grads.values()])
  })

  it.each(['gears', 'biodsnn'] as ModelName[])('a %s run on the tensor path ends where the typed-array run does (losses, validation, test metrics)', async (model) => {
    const data = tinyScreen({ singles: 10, pairs: 8, genes: 30 })
    // prior 'none': a screen this small would choose its epochs by cross-validation; this trains exactly 2.
    const config = defaultTrainConfig(model, { hidden: 8, epochs: 2, cellsPerCondition: 8, uncertainty: true, prior: 'none' })
    forceTensorOps(false)
    const typed = await train(data, config)
    forceTensorOps(true)
    const tensor = await train(data, config)
    forceTensorOps(null)
    expect(tensor.epochs).toHaveLength(2)
    // Losses: float32 sums in another order (the JS loops accumulate in float64), measured ≤ 2e-7
    // relative. (Before batch-norm.ts corrected its mean, GEARS' second epoch was 2 % off: an ulp of
    // rounding in a constant column, amplified by 1/√eps, see there.) Validation and test metrics:
    // the linear biases in front of a BatchNorm have a gradient that is 0 in exact arithmetic,
    // rounding noise in practice, and Adam scales noise to steps of ~lr; the bias leaves training
    // unchanged (the batch mean removes it) but the running mean inference uses lags it. Measured
    // 2.6e-4 relative on GEARS' validation mse_de; 1e-3 allowed, as between backends.
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-12, Math.abs(b))
    typed.epochs.forEach((e, i) => {
      for (const [k, v] of Object.entries(e.losses)) expect(rel(tensor.epochs[i].losses[k], v)).toBeLessThan(1e-5)
      expect(rel(tensor.epochs[i].val.mse_de, e.val.mse_de)).toBeLessThan(1e-3)
    })
    expect(tensor.bestEpoch).toBe(typed.bestEpoch)
    expect(rel(tensor.test.overall.mse_de, typed.test.overall.mse_de)).toBeLessThan(1e-3)
    expect(rel(tensor.test.overall.pearson_delta, typed.test.overall.pearson_delta)).toBeLessThan(1e-3)
  })
})
