/**
 * SGConv, one hop (docs/ml-engine.md §2, PyG's SGConv with K = 1 and gcn_norm): self-loops of weight 1
 * where missing, deg_i = Σ incoming weights, ŵ_ji = w_ji / √(deg_j · deg_i), then
 * out_i = Linear(Σ_j ŵ_ji x_j). Aggregation runs on the edge list: gather the source rows, scale,
 * segment-sum into the targets (custom gradients: ops/segment.ts).
 */
import * as tf from '@tensorflow/tfjs'
import { gatherRows, segmentSum } from '../ops/segment'
import { dense } from './dense'
import type { ParamStore } from './param-store'
import type { NormalizedGraph } from './gcn-norm'

export { gcnNormalize, type GraphEdges, type NormalizedGraph } from './gcn-norm'

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
