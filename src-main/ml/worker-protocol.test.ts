import { describe, expect, it } from 'vitest'
import { buffersOf, shareKept, transferables } from './worker-protocol'

describe('worker data passing', () => {
  it('transfers typed arrays except those another owner keeps, and never a pooled Buffer slab', () => {
    const own = new Float32Array(4)
    const kept = new Int32Array(4)
    const pooled = Buffer.from('abc')
    const data = { a: own, nested: [{ b: kept }], view: own.subarray(1), pooled }
    expect(transferables(data, new Set([kept.buffer]))).toEqual([own.buffer])
    expect(buffersOf({ kept }).has(kept.buffer)).toBe(true)
  })

  it('copies large kept arrays into shared memory in place; small and owned ones are left alone', () => {
    const big = new Float32Array(1 << 19).fill(3)
    const small = new Int32Array(8).fill(1)
    const owned = new Float32Array(1 << 19)
    const data = { x: { data: big, small }, owned }
    shareKept(data, new Set([big.buffer, small.buffer]))
    expect(data.x.data === big).toBe(false)
    expect(data.x.data.buffer).toBeInstanceOf(SharedArrayBuffer)
    expect(data.x.data).toBeInstanceOf(Float32Array)
    expect(Array.from(data.x.data.subarray(0, 3))).toEqual([3, 3, 3])
    expect(data.x.small).toBe(small)
    expect(data.owned).toBe(owned)
    // Shared buffers are not ArrayBuffers: nothing to transfer, nothing detached.
    expect(transferables(data, new Set([small.buffer]))).toEqual([owned.buffer])
  })
})
