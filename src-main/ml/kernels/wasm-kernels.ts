/**
 * Kernel fixes for @tensorflow/tfjs-backend-wasm 4.22 (perf-notes "Traps"), registered once by
 * initBackend when the backend is wasm. Each one keeps tfjs semantics, so model code stays plain tfjs.
 */
import * as tf from '@tensorflow/tfjs'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import { checkIds, segmentSumRows } from './loops'

interface KernelArgs {
  inputs: tf.NamedTensorInfoMap
  backend: unknown
  attrs?: tf.NamedAttrMap
}

let registered: string[] | null = null

/** Registers the overrides (idempotent) and returns the kernel names touched. */
export function registerWasmKernels(): string[] {
  if (registered) return registered
  registered = []
  // Trap 1: no wasm UnsortedSegmentSum, so the gradient of tf.gather throws.
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSumWasm as unknown as tf.KernelFunc })
    registered.push('UnsortedSegmentSum')
  }
  // Trap 2: the native GatherV2 is ~70× slower than copying rows inside the heap.
  const nativeGather = tf.getKernel('GatherV2', 'wasm')
  if (nativeGather) {
    tf.unregisterKernel('GatherV2', 'wasm')
    tf.registerKernel({ kernelName: 'GatherV2', backendName: 'wasm', kernelFunc: gatherV2Wasm(nativeGather.kernelFunc) as unknown as tf.KernelFunc })
    registered.push('GatherV2')
  }
  return registered
}

function heapInt32(backend: BackendWasm): Int32Array {
  // A fresh view each time: the heap's buffer changes when malloc grows it.
  return new Int32Array(backend.wasm.HEAPU8.buffer)
}

function offset32(backend: BackendWasm, t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset >>> 2
}

function isFourByte(dtype: tf.DataType): boolean {
  return dtype === 'float32' || dtype === 'int32'
}

/** Forwards to the native ScatterNd (it sums duplicates) with the ids viewed as [n, 1]. */
export function unsortedSegmentSumWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const b = backend as BackendWasm
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo }
  const numSegments = (attrs as { numSegments: number }).numSegments
  if (segmentIds.shape.length !== 1) throw new Error('UnsortedSegmentSum (wasm): segmentIds must be 1-D')
  const n = segmentIds.shape[0]
  const rowShape = x.shape.slice(1)
  const rowSize = rowShape.reduce((a, d) => a * d, 1)
  const outShape = [numSegments, ...rowShape]
  if (!isFourByte(x.dtype)) throw new Error(`UnsortedSegmentSum (wasm): dtype ${x.dtype} is not supported`)
  const ids = b.typedArrayFromHeap(segmentIds) as Int32Array
  const negative = checkIds(ids, numSegments, 'UnsortedSegmentSum')
  if (negative || n === 0 || rowSize === 0) {
    // Rare path: TensorFlow drops negative ids, ScatterNd would write out of bounds.
    const out = b.makeOutput(outShape, x.dtype)
    const outView = b.typedArrayFromHeap(out) as Float32Array
    outView.fill(0)
    segmentSumRows(b.typedArrayFromHeap(x) as Float32Array, b.typedArrayFromHeap(segmentIds) as Int32Array, rowSize, outView)
    return out
  }
  const scatter = tf.getKernel('ScatterNd', 'wasm')
  if (!scatter) throw new Error('UnsortedSegmentSum (wasm): the native ScatterNd kernel is missing')
  const indices: tf.TensorInfo = { dataId: segmentIds.dataId, shape: [n, 1], dtype: 'int32' }
  const updates: tf.TensorInfo = { dataId: x.dataId, shape: [n, rowSize], dtype: x.dtype }
  const out = scatter.kernelFunc({ inputs: { indices, updates }, backend: b, attrs: { shape: [numSegments, rowSize] } }) as tf.TensorInfo
  return { dataId: out.dataId, shape: outShape, dtype: x.dtype }
}

/** Axis-0, 4-byte GatherV2 by copyWithin inside the heap; anything else goes to the native kernel. */
export function gatherV2Wasm(native: tf.KernelFunc) {
  return (args: KernelArgs): tf.TensorInfo => {
    const b = args.backend as BackendWasm
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo }
    const { axis, batchDims } = args.attrs as { axis: number; batchDims: number }
    const rank = x.shape.length
    const parsedAxis = axis < 0 ? axis + rank : axis
    if (parsedAxis !== 0 || batchDims !== 0 || !isFourByte(x.dtype) || indices.dtype !== 'int32' || rank === 0) {
      return native(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo
    }
    const rowShape = x.shape.slice(1)
    const rowSize = rowShape.reduce((a, d) => a * d, 1)
    const nRows = x.shape[0]
    const ids = b.typedArrayFromHeap(indices) as Int32Array
    for (let i = 0; i < ids.length; i++) {
      const k = ids[i]
      if (k < 0 || k >= nRows) throw new Error(`GatherV2: the index value ${k} is not in [0, ${nRows - 1}]`)
    }
    const out = b.makeOutput([...indices.shape, ...rowShape], x.dtype)
    if (ids.length === 0 || rowSize === 0) return out
    const heap = heapInt32(b)
    const xOff = offset32(b, x)
    const outOff = offset32(b, out)
    const idOff = offset32(b, indices)
    const n = ids.length
    if (rowSize === 1) {
      for (let i = 0; i < n; i++) heap[outOff + i] = heap[xOff + heap[idOff + i]]
    } else {
      for (let i = 0; i < n; i++) {
        const src = xOff + heap[idOff + i] * rowSize
        heap.copyWithin(outOff + i * rowSize, src, src + rowSize)
      }
    }
    return out
  }
}
