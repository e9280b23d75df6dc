/**
 * The graph normalisation of SGConv (docs/ml-engine.md §2; PyG's gcn_norm with add_remaining_self_loops):
 * plain arrays, no tensors, so the main process can read the GO weights a model gives each gene
 * (services/predictions/gene-sets.ts) from the same code, without loading TensorFlow.js.
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

/** The normalised GO graph grouped by target: rows of E_pert feeding each vocabulary gene. */
export interface IncomingGraph {
  numNodes: number
  ptr: Int32Array
  src: Int32Array
  weight: Float32Array
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
