import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../backend'
import { mulberry32, randomNormalArray } from '../random'

const rand = mulberry32(7)
const ints = (n: number, max: number) => Int32Array.from({ length: n }, () => Math.floor(rand() * max))

/** Runs f on the cpu backend (tfjs's own kernels) and returns to wasm. */
async function onCpu<T>(f: () => T): Promise<T> {
  await tf.setBackend('cpu')
  try {
    return f()
  } finally {
    await tf.setBackend('wasm')
  }
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5): void {
  expect(a.length).toBe(b.length)
  let worst = 0
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]))
  expect(worst).toBeLessThanOrEqual(tol)
}

beforeAll(async () => {
  const info = await initBackend({ prefer: 'wasm' })
  expect(info.customKernels).toEqual(['UnsortedSegmentSum', 'GatherV2'])
})

describe('wasm UnsortedSegmentSum', () => {
  it('matches the cpu kernel on float32 rows with duplicate ids, on a dirty heap', async () => {
    // Leave garbage in freed heap memory so an unzeroed output would show.
    tf.tidy(() => tf.fill([4000, 8], 123.5).dataSync())
    const x = randomNormalArray(500 * 8, rand)
    const ids = ints(500, 40)
    ids[3] = 39
    const got = tf.tidy(() => tf.unsortedSegmentSum(tf.tensor2d(x, [500, 8]), tf.tensor1d(ids, 'int32'), 45).dataSync())
    const want = await onCpu(() => tf.tidy(() => tf.unsortedSegmentSum(tf.tensor2d(x, [500, 8]), tf.tensor1d(ids, 'int32'), 45).dataSync()))
    close(got, want)
    expect(Array.from(got.slice(40 * 8))).toEqual(new Array(5 * 8).fill(0))
  })

  it('keeps trailing dimensions, sums int32 and drops negative ids like TensorFlow', async () => {
    const x = randomNormalArray(60 * 3 * 2, rand)
    const ids = ints(60, 10)
    const got = tf.tidy(() => tf.unsortedSegmentSum(tf.tensor3d(x, [60, 3, 2]), tf.tensor1d(ids, 'int32'), 10))
    expect(got.shape).toEqual([10, 3, 2])
    const want = await onCpu(() => tf.tidy(() => tf.unsortedSegmentSum(tf.tensor3d(x, [60, 3, 2]), tf.tensor1d(ids, 'int32'), 10).dataSync()))
    close(got.dataSync(), want)
    got.dispose()
    const xi = Int32Array.from({ length: 6 }, (_, i) => i + 1)
    expect(Array.from(tf.tidy(() => tf.unsortedSegmentSum(tf.tensor1d(xi, 'int32'), tf.tensor1d([0, 1, 0, -1, 2, 1], 'int32'), 3).dataSync()))).toEqual([4, 8, 5])
  })

  it('makes the gradient of tf.gather run (it threw on wasm)', async () => {
    const x = randomNormalArray(30 * 4, rand)
    const idx = ints(100, 30)
    const dy = randomNormalArray(100 * 4, rand)
    const grad = (xs: Float32Array) => tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor1d(idx, 'int32')), tf.tensor2d(dy, [100, 4]))))(tf.tensor2d(xs, [30, 4])).dataSync())
    const got = grad(x)
    close(got, await onCpu(() => grad(x)))
  })
})

describe('wasm GatherV2', () => {
  it('copies axis-0 rows of float32 and int32 tensors like the cpu kernel', async () => {
    const x = randomNormalArray(50 * 3 * 4, rand)
    const idx = ints(2 * 70, 50)
    const got = tf.tidy(() => tf.gather(tf.tensor3d(x, [50, 3, 4]), tf.tensor2d(idx, [2, 70], 'int32')))
    expect(got.shape).toEqual([2, 70, 3, 4])
    const want = await onCpu(() => tf.tidy(() => tf.gather(tf.tensor3d(x, [50, 3, 4]), tf.tensor2d(idx, [2, 70], 'int32')).dataSync()))
    expect(Array.from(got.dataSync())).toEqual(Array.from(want))
    got.dispose()
    const xi = Int32Array.from({ length: 50 }, (_, i) => i * 3)
    expect(Array.from(tf.tidy(() => tf.gather(tf.tensor1d(xi, 'int32'), tf.tensor1d([4, 0, 49, 4], 'int32')).dataSync()))).toEqual([12, 0, 147, 12])
  })

  it('leaves other axes to the native kernel and rejects out-of-range indices', async () => {
    const x = randomNormalArray(5 * 6, rand)
    const got = tf.tidy(() => tf.gather(tf.tensor2d(x, [5, 6]), tf.tensor1d([5, 0, 2], 'int32'), 1).dataSync())
    const want = await onCpu(() => tf.tidy(() => tf.gather(tf.tensor2d(x, [5, 6]), tf.tensor1d([5, 0, 2], 'int32'), 1).dataSync()))
    expect(Array.from(got)).toEqual(Array.from(want))
    expect(() => tf.tidy(() => tf.gather(tf.tensor2d(x, [5, 6]), tf.tensor1d([5], 'int32')))).toThrow(/not in \[0, 4\]/)
  })
})
