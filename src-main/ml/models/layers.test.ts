import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../backend'
import { encoderLayer, BIODSNN_ENCODER } from '../layers/encoder'
import { mlp } from '../layers/mlp'
import { layerNorm } from '../layers/layer-norm'
import { trainingMode, type ForwardMode } from '../layers/mode'
import { ParamStore } from '../layers/param-store'
import { randomPathwayMask } from '../ops/attention-mask'
import { mulberry32 } from '../random'
import { maxAbsDiff, randomTensor } from '../../test-support/tensors'
import { fastEncoderLayer, fastLayerNorm, fastMlp } from './layers'

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' })
})

/** Output and named parameter gradients of sum(f(x)·r), plus the input gradient. */
function run(store: ParamStore, f: (x: tf.Tensor2D) => tf.Tensor2D, x: tf.Tensor2D) {
  const r = randomTensor(f(x).shape, 9)
  const value = tf.tidy(() => f(x).dataSync())
  const vars = store.list().filter((e) => e.trainable)
  const { grads } = tf.variableGrads(() => tf.sum(tf.mul(f(x), r)) as tf.Scalar, vars.map((e) => e.variable))
  const dx = tf.grads((xi: tf.Tensor) => tf.sum(tf.mul(f(xi as tf.Tensor2D), r)))([x])[0].dataSync()
  return { value, dx, grads: Object.fromEntries(vars.map((e) => [e.name, grads[e.variable.name].dataSync()])), state: Object.fromEntries(store.list().filter((e) => !e.trainable).map((e) => [e.name, e.variable.dataSync()])) }
}

function expectSame(a: ReturnType<typeof run>, b: ReturnType<typeof run>) {
  expect(maxAbsDiff(a.value, b.value)).toBeLessThan(2e-5)
  expect(maxAbsDiff(a.dx, b.dx)).toBeLessThan(2e-5)
  expect(Object.keys(a.grads).sort()).toEqual(Object.keys(b.grads).sort())
  for (const k of Object.keys(a.grads)) expect(maxAbsDiff(a.grads[k], b.grads[k]), k).toBeLessThan(2e-5)
  for (const k of Object.keys(b.state)) expect(maxAbsDiff(a.state[k], b.state[k]), k).toBeLessThan(2e-5)
}

describe('fused norm layers equal the foundation layers', () => {
  it('MLP with BatchNorm in training (values, gradients, running statistics)', () => {
    const x = randomTensor([40, 6], 1, 2) as tf.Tensor2D
    const mode = (): ForwardMode => trainingMode(1)
    const a = new ParamStore(3)
    const b = new ParamStore(3)
    expectSame(run(a, (xi) => fastMlp(a, 'm', xi, [6, 5, 4], mode()), x), run(b, (xi) => mlp(b, 'm', xi, [6, 5, 4], mode()), x))
  })

  it('LayerNorm', () => {
    const x = randomTensor([30, 8], 2, 3) as tf.Tensor2D
    const a = new ParamStore(4)
    const b = new ParamStore(4)
    // Non-trivial γ, β so their gradients and use are checked.
    for (const s of [a, b]) {
      s.add('ln.gamma', randomTensor([8], 5), true)
      s.add('ln.beta', randomTensor([8], 6), true)
    }
    expectSame(run(a, (xi) => fastLayerNorm(a, 'ln', xi), x), run(b, (xi) => layerNorm(b, 'ln', xi), x))
  })

  it('the encoder layer with masked attention, dropout included', () => {
    const G = 48
    const mask = randomPathwayMask(G, 500, mulberry32(2), { medianPathway: 5, maxPathway: 20 })
    const x = randomTensor([G, 64], 7) as tf.Tensor2D
    const a = new ParamStore(5)
    const b = new ParamStore(5)
    expectSame(run(a, (xi) => fastEncoderLayer(a, 'enc', xi, { kind: 'masked', mask }, trainingMode(3)), x), run(b, (xi) => encoderLayer(b, 'enc', xi, mask, trainingMode(3), BIODSNN_ENCODER), x))
  })
})
