import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../backend'
import { dropoutFactors } from '../random'
import { dropout } from './dropout'

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' })
})

describe('dropout', () => {
  it('zeroes about `rate` of the values, scales the rest by 1 / (1 − rate) and repeats for a seed', () => {
    const f = dropoutFactors(100_000, 0.1, 42)
    const zeros = f.reduce((n, v) => n + (v === 0 ? 1 : 0), 0)
    expect(zeros / f.length).toBeGreaterThan(0.095)
    expect(zeros / f.length).toBeLessThan(0.105)
    expect(f.every((v) => v === 0 || v === Math.fround(1 / 0.9))).toBe(true)
    expect(Array.from(dropoutFactors(50, 0.1, 42))).toEqual(Array.from(f.subarray(0, 50)))
    expect(Array.from(dropoutFactors(50, 0.1, 43))).not.toEqual(Array.from(f.subarray(0, 50)))
  })

  it('passes the gradient through the kept values only', () => {
    const x = tf.ones([20, 30])
    const y = dropout(x, 0.5, 7)
    const g = tf.grad((t: tf.Tensor) => tf.sum(dropout(t, 0.5, 7)))(x)
    expect(Array.from(g.dataSync())).toEqual(Array.from(y.dataSync()))
    expect(dropout(x, 0, 7)).toBe(x)
    expect(() => dropout(x, 1, 7)).toThrow(/rate must be in \[0, 1\)/)
  })
})
