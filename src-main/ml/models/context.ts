/**
 * What a model needs besides its weights: sizes, the graphs as uploaded tensors or CSR, the
 * perturbation vocabulary and which vocabulary genes are measured (for the self-effect, §3.8).
 * Built once per run (training) or per loaded model (prediction).
 */
import * as tf from '@tensorflow/tfjs'
import type { TrainingData } from '../engine-types'
import type { CoexpressionGraph } from '../knowledge-graphs'
import { attentionMaskFor } from '../knowledge-graphs'
import type { AttentionMask } from '../ops/attention-mask'
import { gcnNormalize, graphTensors, type GraphTensors } from '../layers/sgconv'

/** The normalised GO graph grouped by target: rows of E_pert feeding each vocabulary gene. */
export interface IncomingGraph {
  numNodes: number
  ptr: Int32Array
  src: Int32Array
  weight: Float32Array
}

export interface ModelContext {
  G: number
  H: number
  P: number
  coexp: GraphTensors
  go: IncomingGraph
  mask: AttentionMask
  pertIndex: Map<string, number>
  /** vocabulary row → expression column, −1 when the gene is not measured */
  measured: Int32Array
  /** vocabulary rows with at least one GO partner (other than itself) */
  hasGoPartners: Uint8Array
  controlMean: tf.Tensor1D
  dispose(): void
}

export function incomingGraph(numNodes: number, source: Int32Array, target: Int32Array, weight: Float32Array | undefined): IncomingGraph {
  const n = gcnNormalize({ numNodes, src: source, dst: target, weight })
  const ptr = new Int32Array(numNodes + 1)
  for (let e = 0; e < n.dst.length; e++) ptr[n.dst[e] + 1]++
  for (let i = 0; i < numNodes; i++) ptr[i + 1] += ptr[i]
  const fill = ptr.slice(0, numNodes)
  const src = new Int32Array(n.src.length)
  const w = new Float32Array(n.src.length)
  for (let e = 0; e < n.dst.length; e++) {
    const at = fill[n.dst[e]]++
    src[at] = n.src[e]
    w[at] = n.weight[e]
  }
  return { numNodes, ptr, src, weight: w }
}

export function buildModelContext(data: TrainingData, coexp: CoexpressionGraph, hidden: number): ModelContext {
  const G = data.genes.length
  const pert = data.knowledge.pertGenes
  const P = pert.length
  const go = data.knowledge.goEdges
  // GEARS builds G_coexpress from the gene → partner lists; messages flow from the partner.
  const coexpTensors = graphTensors(gcnNormalize({ numNodes: G, src: coexp.target, dst: coexp.source, weight: coexp.weight }))
  const incoming = incomingGraph(P, go?.source ?? new Int32Array(0), go?.target ?? new Int32Array(0), go?.weight)
  const hasGoPartners = new Uint8Array(P)
  if (go) for (let e = 0; e < go.source.length; e++) if (go.source[e] !== go.target[e]) hasGoPartners[go.target[e]] = 1
  const col = new Map(data.genes.map((g, i) => [g, i]))
  const measured = Int32Array.from(pert, (g) => col.get(g) ?? -1)
  const controlMean = tf.tensor1d(data.controlMean)
  return {
    G,
    H: hidden,
    P,
    coexp: coexpTensors,
    go: incoming,
    mask: attentionMaskFor(data, coexp),
    pertIndex: new Map(pert.map((g, i) => [g, i])),
    measured,
    hasGoPartners,
    controlMean,
    dispose: () => {
      coexpTensors.dispose()
      controlMean.dispose()
    },
  }
}
