/**
 * Overrides for the pure-JS cpu backend. Its UnsortedSegmentSum builds one mask per segment
 * (numSegments × n × rowSize work: hours for a 5,045-gene graph), so the fallback backend would be
 * unusable for graph convolutions; a single pass over the rows does the same sum.
 */
import * as tf from '@tensorflow/tfjs'
import { checkIds, segmentSumRows } from './loops'

interface CpuBackend {
  data: { get(dataId: tf.DataId): { values: Float32Array | Int32Array } }
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array | Int32Array): tf.TensorInfo
}

let registered: string[] | null = null

export function registerCpuKernels(): string[] {
  if (registered) return registered
  registered = []
  if (tf.getKernel('UnsortedSegmentSum', 'cpu')) tf.unregisterKernel('UnsortedSegmentSum', 'cpu')
  tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'cpu', kernelFunc: unsortedSegmentSumCpu as unknown as tf.KernelFunc })
  registered.push('UnsortedSegmentSum')
  return registered
}

export function unsortedSegmentSumCpu({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const b = backend as CpuBackend
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo }
  const numSegments = (attrs as { numSegments: number }).numSegments
  if (segmentIds.shape.length !== 1) throw new Error('UnsortedSegmentSum (cpu): segmentIds must be 1-D')
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`UnsortedSegmentSum (cpu): dtype ${x.dtype} is not supported`)
  const rowShape = x.shape.slice(1)
  const rowSize = rowShape.reduce((a, d) => a * d, 1)
  const ids = b.data.get(segmentIds.dataId).values as Int32Array
  checkIds(ids, numSegments, 'UnsortedSegmentSum')
  const out = x.dtype === 'float32' ? new Float32Array(numSegments * rowSize) : new Int32Array(numSegments * rowSize)
  segmentSumRows(b.data.get(x.dataId).values, ids, rowSize, out)
  return b.makeTensorInfo([numSegments, ...rowShape], x.dtype, out)
}
