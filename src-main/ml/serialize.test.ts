import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../../src-shared/contract/envelope'
import { initBackend } from './backend'
import { encoderLayer } from './layers/encoder'
import { mlp } from './layers/mlp'
import { inferenceMode, trainingMode } from './layers/mode'
import { ParamStore } from './layers/param-store'
import { randomPathwayMask } from './ops/attention-mask'
import { mulberry32 } from './random'
import { randomTensor } from '../test-support/tensors'
import { loadParams, saveParams, type ParamsArtifact } from './serialize'

const bytesOf = (store: ParamStore) => Object.fromEntries(store.list().map((e) => [e.name, Array.from(new Uint8Array((e.variable.dataSync() as Float32Array).slice().buffer))]))

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' })
})

function trainedStore(): ParamStore {
  const store = new ParamStore(3)
  const x = randomTensor([40, 64], 1) as tf.Tensor2D
  tf.tidy(() => mlp(store, 'head', x, [64, 32, 8], trainingMode(1)))
  tf.tidy(() => encoderLayer(store, 'enc', x, randomPathwayMask(40, 300, mulberry32(1)), inferenceMode))
  // Awkward values must survive too: NaN, −0, a subnormal, infinities.
  const w = (store.get('head.1.linear.bias').dataSync() as Float32Array).slice()
  w.set([NaN, -0, 1e-40, Infinity, -Infinity])
  store.get('head.1.linear.bias').assign(tf.tensor(w, [8]))
  return store
}

describe('saveParams / loadParams', () => {
  it('round-trips every weight and BatchNorm running statistic bit for bit through JSON + one buffer', async () => {
    const store = trainedStore()
    const { manifest, data } = await saveParams(store, { model: 'test', epoch: 2 })
    expect(manifest.entries.some((e) => e.name === 'head.0.bn.running_var' && !e.trainable)).toBe(true)
    expect(manifest.byteLength).toBe(data.byteLength)
    const fresh = new ParamStore(99)
    loadParams(fresh, { manifest: JSON.parse(JSON.stringify(manifest)), data: Uint8Array.from(data) })
    expect(bytesOf(fresh)).toEqual(bytesOf(store))
    expect(fresh.list().map((e) => [e.name, e.trainable])).toEqual(store.list().map((e) => [e.name, e.trainable]))
    // Loading over an existing store overwrites in place.
    const other = new ParamStore(5)
    tf.tidy(() => mlp(other, 'head', tf.zeros([4, 64]) as tf.Tensor2D, [64, 32, 8], trainingMode(1)))
    loadParams(other, { manifest, data })
    expect(bytesOf(other)).toEqual(bytesOf(store))
    expect(manifest.meta).toEqual({ model: 'test', epoch: 2 })
  })

  it('refuses truncated, foreign or mismatched checkpoints without changing the model', async () => {
    const store = trainedStore()
    const good: ParamsArtifact = await saveParams(store)
    const target = new ParamStore(7)
    tf.tidy(() => mlp(target, 'head', tf.zeros([4, 64]) as tf.Tensor2D, [64, 16, 8], trainingMode(1)))
    const before = bytesOf(target)
    const fail = (a: ParamsArtifact, code: string, message: RegExp) => {
      let err: unknown
      try {
        loadParams(target, a)
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(AppError)
      expect((err as AppError).code).toBe(code)
      expect((err as AppError).message).toMatch(message)
    }
    fail({ manifest: good.manifest, data: good.data.subarray(0, 100) }, 'model.weights-corrupt', /truncated/)
    fail({ manifest: { ...good.manifest, format: 'tfjs' as never }, data: good.data }, 'model.weights-corrupt', /not a perturb-studio.params manifest/)
    fail(good, 'model.weights-mismatch', /head.0.bn.beta has shape \[32\] in the file but \[16\]/)
    expect(bytesOf(target)).toEqual(before)
    const smaller = new ParamStore(1)
    tf.tidy(() => mlp(smaller, 'extra', tf.zeros([4, 8]) as tf.Tensor2D, [8, 8], trainingMode(1)))
    expect(() => loadParams(smaller, good)).toThrow(/lacks 6 weight\(s\)/)
    loadParams(smaller, good, { allowMissing: true })
    expect(smaller.has('enc.ff1.weight')).toBe(true)
  })
})
