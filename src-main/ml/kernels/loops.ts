/**
 * Plain typed-array loops shared by the cpu and wasm kernel overrides. They work on any 4-byte
 * element type because they only add (float32) or copy values.
 */

/** out[ids[r]] += x[r] row by row; out must be zeroed; negative ids are dropped as in TensorFlow. */
export function segmentSumRows(x: Float32Array | Int32Array, ids: Int32Array, rowSize: number, out: Float32Array | Int32Array): void {
  for (let r = 0; r < ids.length; r++) {
    const s = ids[r]
    if (s < 0) continue
    const o = s * rowSize
    const i = r * rowSize
    for (let c = 0; c < rowSize; c++) out[o + c] += x[i + c]
  }
}

/** Throws like TensorFlow on an id that is not below `limit`; returns whether any id is negative. */
export function checkIds(ids: Int32Array, limit: number, what: string): boolean {
  let negative = false
  for (let r = 0; r < ids.length; r++) {
    const s = ids[r]
    if (s >= limit) throw new Error(`${what}: index ${s} is not in [0, ${limit - 1}]`)
    if (s < 0) negative = true
  }
  return negative
}
