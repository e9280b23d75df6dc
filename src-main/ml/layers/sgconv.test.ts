import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { initBackend, type BackendName } from '../backend'
import { mulberry32 } from '../random'
import { gradsOf, maxAbsDiff, randomTensor } from '../../test-support/tensors'
import { ParamStore } from './param-store'
import { gcnNormalize, graphTensors, propagate, sgconv, type GraphEdges } from './sgconv'

describe('gcnNormalize', () => {
  it('adds missing self-loops with weight 1 and divides by √(deg_src · deg_dst) of incoming weights', () => {
    // 0 → 1 (0.5), 2 → 1 (1), 1 → 1 self-loop kept at 2, nodes 0 and 2 get self-loops.
    const g = gcnNormalize({ numNodes: 3, src: Int32Array.from([0, 2, 1]), dst: Int32Array.from([1, 1, 1]), weight: Float32Array.from([0.5, 1, 2]) })
    expect(Array.from(g.src)).toEqual([0, 2, 1, 0, 2])
    expect(Array.from(g.dst)).toEqual([1, 1, 1, 0, 2])
    const deg = [1, 0.5 + 1 + 2, 1]
    const want = [0.5 / Math.sqrt(deg[0] * deg[1]), 1 / Math.sqrt(deg[2] * deg[1]), 2 / deg[1], 1, 1]
    Array.from(g.weight).forEach((w, i) => expect(w).toBeCloseTo(want[i], 6))
    expect(() => gcnNormalize({ numNodes: 2, src: Int32Array.from([0]), dst: Int32Array.from([2]) })).toThrow(/outside \[0, 1\]/)
  })
})

function randomGraph(n: number, perNode: number, seed: number): GraphEdges {
  const rand = mulberry32(seed)
  const src: number[] = []
  const dst: number[] = []
  const w: number[] = []
  for (let i = 0; i < n; i++) {
    // Skewed in-degree: a few nodes receive many edges.
    const k = Math.floor(perNode * (rand() < 0.1 ? 6 : rand()))
    for (let e = 0; e < k; e++) {
      src.push(Math.floor(rand() * n))
      dst.push(i)
      w.push(0.4 + 0.6 * rand())
    }
  }
  return { numNodes: n, src: Int32Array.from(src), dst: Int32Array.from(dst), weight: Float32Array.from(w) }
}

describe.each(['cpu', 'wasm'] as BackendName[])('sgconv on %s', (backend) => {
  it('aggregates like the dense normalised adjacency, in value and gradient', async () => {
    await initBackend({ prefer: backend })
    const norm = gcnNormalize(randomGraph(150, 20, 9))
    const graph = graphTensors(norm)
    const dense = new Float32Array(150 * 150)
    for (let e = 0; e < norm.src.length; e++) dense[norm.dst[e] * 150 + norm.src[e]] += norm.weight[e]
    const a = tf.tensor2d(dense, [150, 150])
    const x = randomTensor([150, 16], 1)
    const ours = gradsOf((t) => propagate(t as tf.Tensor2D, graph), [x])
    const ref = gradsOf((t) => tf.matMul(a, t as tf.Tensor2D), [x])
    expect(maxAbsDiff(ours.value, ref.value)).toBeLessThanOrEqual(1e-5)
    expect(maxAbsDiff(ours.grads[0], ref.grads[0])).toBeLessThanOrEqual(1e-5)
    const store = new ParamStore(1)
    const y = sgconv(store, 'coexp', x as tf.Tensor2D, graph, 8)
    expect(y.shape).toEqual([150, 8])
    expect(store.list().map((e) => e.name)).toEqual(['coexp.lin.bias', 'coexp.lin.weight'])
    expect(() => propagate(tf.zeros([3, 2]) as tf.Tensor2D, graph)).toThrow(/3 rows for a graph of 150 nodes/)
    tf.dispose([a, x, y])
    graph.dispose()
    store.dispose()
  })
})
