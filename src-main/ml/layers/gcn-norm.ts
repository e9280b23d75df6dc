/**
 * The graph normalisation of SGConv (model.md §2; PyG's gcn_norm with add_remaining_self_loops):
 * plain arrays, no tensors, so the main process can read the weights a model gives each gene
 * (services/predictions/gene-sets.ts) without loading TensorFlow.js.
 */

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
