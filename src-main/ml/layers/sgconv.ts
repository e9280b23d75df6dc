/**
 * SGConv, one hop (model.md §2, PyG's SGConv with K = 1 and gcn_norm): self-loops of weight 1
 * where missing, deg_i = Σ incoming weights, ŵ_ji = w_ji / √(deg_j · deg_i), then
 * out_i = Linear(Σ_j ŵ_ji x_j). Aggregation runs on the edge list: gather the source rows, scale,
 * segment-sum into the targets (custom gradients: ops/segment.ts).
 */
import * as tf from '@tensorflow/tfjs'
import { gatherRows, segmentSum } from '../ops/segment'
import { dense } from './dense'
import type { ParamStore } from './param-store'

/** Directed edges src → dst (messages flow from src to dst); weight 1 when absent. */
export interface GraphEdges {
  numNodes: number
  src: Int32Array
  dst: Int32Array
  weight?: Float32Array
}

export interface NormalizedGraph {
  numNodes: number
  src: Int32Array
  dst: Int32Array
  weight: Float32Array
}

/** gcn_norm with add_remaining_self_loops: existing self-loops keep their weight. */
export function gcnNormalize(graph: GraphEdges): NormalizedGraph {
  const { numNodes, src, dst } = graph
  const e = src.length
  if (dst.length !== e || (graph.weight && graph.weight.length !== e)) throw new Error('graph: src, dst and weight must have the same length')
  const hasSelf = new Uint8Array(numNodes)
  for (let i = 0; i < e; i++) {
    if (src[i] < 0 || src[i] >= numNodes || dst[i] < 0 || dst[i] >= numNodes) throw new Error(`graph: edge ${i} (${src[i]} → ${dst[i]}) is outside [0, ${numNodes - 1}]`)
    if (src[i] === dst[i]) hasSelf[src[i]] = 1
  }
  const missing = numNodes - hasSelf.reduce((a, b) => a + b, 0)
  const outSrc = new Int32Array(e + missing)
  const outDst = new Int32Array(e + missing)
  const w = new Float32Array(e + missing)
  outSrc.set(src)
  outDst.set(dst)
  if (graph.weight) w.set(graph.weight)
  else w.fill(1, 0, e)
  let k = e
  for (let i = 0; i < numNodes; i++) {
    if (!hasSelf[i]) {
      outSrc[k] = i
      outDst[k] = i
      w[k++] = 1
    }
  }
  const deg = new Float64Array(numNodes)
  for (let i = 0; i < k; i++) deg[outDst[i]] += w[i]
  // As PyG: a node with zero degree gets 0 instead of 1/√0.
  const inv = deg.map((d) => (d > 0 ? 1 / Math.sqrt(d) : 0))
  for (let i = 0; i < k; i++) w[i] = w[i] * inv[outSrc[i]] * inv[outDst[i]]
  return { numNodes, src: outSrc, dst: outDst, weight: w }
}

/** A normalised graph uploaded once and reused by every forward pass. */
export interface GraphTensors {
  numNodes: number
  src: tf.Tensor1D
  dst: tf.Tensor1D
  /** [edges, 1], broadcast over feature columns. */
  weight: tf.Tensor2D
  dispose(): void
}

export function graphTensors(graph: NormalizedGraph): GraphTensors {
  const src = tf.tensor1d(graph.src, 'int32')
  const dst = tf.tensor1d(graph.dst, 'int32')
  const weight = tf.tensor2d(graph.weight, [graph.weight.length, 1])
  return { numNodes: graph.numNodes, src, dst, weight, dispose: () => tf.dispose([src, dst, weight]) }
}

/** Σ_j ŵ_ji x_j for every node i (no linear). */
export function propagate(x: tf.Tensor2D, graph: GraphTensors): tf.Tensor2D {
  if (x.shape[0] !== graph.numNodes) throw new Error(`sgconv: x has ${x.shape[0]} rows for a graph of ${graph.numNodes} nodes`)
  return tf.tidy(() => segmentSum(tf.mul(gatherRows(x, graph.src), graph.weight) as tf.Tensor2D, graph.dst, graph.numNodes))
}

export function sgconv(store: ParamStore, name: string, x: tf.Tensor2D, graph: GraphTensors, outDim: number): tf.Tensor2D {
  return tf.tidy(() => dense(store, `${name}.lin`, propagate(x, graph), outDim))
}
