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
import { incomingGraph, type IncomingGraph } from '../layers/gcn-norm'
import { gcnNormalize, graphTensors, type GraphTensors } from '../layers/sgconv'

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
