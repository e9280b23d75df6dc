import { describe, expect, it } from 'vitest'
import { attentionMaskFor, coexpressionRows, reactomePerturbationGraph } from './knowledge-graphs'
import { makeSplit } from './splits'
import { tinyScreen } from '../test-support/tiny-screen'

describe('split-dependent graphs', () => {
  const data = tinyScreen()
  const split = makeSplit(data.conditions, { kind: 'simulation', seed: 1 })

  it('computes co-expression on training ctrl and single-perturbation cells only', () => {
    const rows = new Set(coexpressionRows(data, split))
    const train = new Set(split.train)
    for (const c of data.conditions) {
      const expected = train.has(c.condition) && c.genes.length <= 1
      for (const r of c.cells) expect(rows.has(r), c.condition).toBe(expected)
    }
    const capped = coexpressionRows(data, split, 10)
    expect(capped).toHaveLength(10)
    expect(capped.every((r) => rows.has(r))).toBe(true)
  })

  it('adds co-expression neighbours to the mask for genes without a pathway only, both ways', () => {
    const G = data.genes.length
    // Edges: a pathway gene 0 ↔ 5 (both have pathways: ignored), lonely G−1 → 2, and 3 → lonely G−2.
    const coexp = { nGenes: G, source: Int32Array.from([0, G - 1, 3]), target: Int32Array.from([5, 2, G - 2]), weight: Float32Array.from([0.9, 0.8, 0.7]) }
    const m = attentionMaskFor(data, coexp)
    const row = (i: number) => Array.from(m.colIdx.subarray(m.rowPtr[i], m.rowPtr[i + 1]))
    expect(row(0)).toEqual([0, 1, 2, 3])
    expect(row(G - 1)).toEqual([2, G - 1])
    expect(row(2)).toEqual([0, 1, 2, 3, G - 1])
    expect(row(G - 2)).toEqual([3, G - 2])
    expect(row(3)).toEqual([0, 1, 2, 3, G - 2])
    // Without a knowledge base every gene falls back to its co-expression neighbours.
    const bare = attentionMaskFor({ ...data, knowledge: { ...data.knowledge, mask: null } }, coexp)
    expect(Array.from(bare.colIdx.subarray(bare.rowPtr[0], bare.rowPtr[1]))).toEqual([0, 5])
  })
})

describe('reactomePerturbationGraph', () => {
  it('links genes sharing a lowest-level pathway, weighted by the Jaccard index of their pathway sets, top partners per gene', () => {
    // genes 0: {1, 2}, 1: {2}, 2: {3}, 3: {} → 0–1 share pathway 2 (Jaccard 1/2); 2 and 3 have no partner
    const annotations = { goPtr: new Int32Array(5), goTerms: new Int32Array(0), l1Ptr: Int32Array.from([0, 2, 3, 4, 4]), l1Pathways: Int32Array.from([1, 2, 2, 3]) }
    const g = reactomePerturbationGraph(annotations)
    const edges = Array.from(g.source, (s, i) => [s, g.target[i], g.weight[i]])
    expect(edges).toEqual([
      [1, 0, 0.5],
      [0, 1, 0.5],
    ])
    expect(reactomePerturbationGraph(annotations, 0).source).toHaveLength(0)
  })
})
