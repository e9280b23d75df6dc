/**
 * What a model needs besides its weights: sizes, the graphs as uploaded tensors or CSR, the
 * perturbation vocabulary and which vocabulary genes are measured (for the self-effect, §3.8).
 * Built once per run (training) or per loaded model (prediction).
 */
import * as tf from '@tensorflow/tfjs'
import type { TrainingData } from '../engine-types'
import type { CoexpressionGraph } from '../knowledge-graphs'
import { attentionMaskFor, reactomePerturbationGraph } from '../knowledge-graphs'
import type { PertGraph } from '../engine-types'
import type { AttentionMask } from '../ops/attention-mask'
import { incomingGraph, type IncomingGraph } from '../layers/gcn-norm'
import { gcnNormalize, graphTensors, type GraphTensors } from '../layers/sgconv'

export interface ModelContext {
  G: number
  H: number
  P: number
  coexp: GraphTensors
  /** the perturbation graphs (docs/ml-engine.md §2), each an SGConv hop of its own whose outputs are summed: GO, Reactome or both */
  pertGraphs: { name: 'go' | 'reactome'; graph: IncomingGraph }[]
  mask: AttentionMask
  pertIndex: Map<string, number>
  /** vocabulary row → expression column, −1 when the gene is not measured */
  measured: Int32Array
  /** vocabulary rows with at least one partner (other than itself) in a perturbation graph: the network can place them unseen */
  hasGoPartners: Uint8Array
  controlMean: tf.Tensor1D
  dispose(): void
}

export function buildModelContext(data: TrainingData, coexp: CoexpressionGraph, hidden: number, pertGraph: PertGraph = 'go'): ModelContext {
  const G = data.genes.length
  const pert = data.knowledge.pertGenes
  const P = pert.length
  const go = data.knowledge.goEdges
  // GEARS builds G_coexpress from the gene → partner lists; messages flow from the partner.
  const coexpTensors = graphTensors(gcnNormalize({ numNodes: G, src: coexp.target, dst: coexp.source, weight: coexp.weight }))
  const ann = data.knowledge.annotations
  const edges = {
    go: () => go ?? { source: new Int32Array(0), target: new Int32Array(0), weight: new Float32Array(0) },
    reactome: () => (ann ? reactomePerturbationGraph(ann) : { source: new Int32Array(0), target: new Int32Array(0), weight: new Float32Array(0) }),
  }
  const names: ('go' | 'reactome')[] = pertGraph === 'both' ? ['go', 'reactome'] : [pertGraph]
  const hasGoPartners = new Uint8Array(P)
  const pertGraphs = names.map((name) => {
    const e = edges[name]()
    for (let k = 0; k < e.source.length; k++) if (e.source[k] !== e.target[k]) hasGoPartners[e.target[k]] = 1
    return { name, graph: incomingGraph(P, e.source, e.target, e.weight) }
  })
  const col = new Map(data.genes.map((g, i) => [g, i]))
  const measured = Int32Array.from(pert, (g) => col.get(g) ?? -1)
  const controlMean = tf.tensor1d(data.controlMean)
  return {
    G,
    H: hidden,
    P,
    coexp: coexpTensors,
    pertGraphs,
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
