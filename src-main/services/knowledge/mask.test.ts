import { beforeAll, describe, expect, it } from 'vitest'
import { attentionMask, maskPairs, type SparseMask } from './mask'
import { ReactomeNet } from './reactome-net'
import { loadSharedNet, rawReactome } from '../../test-support/reactome'

let shared: Awaited<ReturnType<typeof loadSharedNet>>
let raw: ReturnType<typeof rawReactome>
beforeAll(async () => {
  shared = await loadSharedNet()
  raw = rawReactome()
})

function dense(mask: SparseMask): Uint8Array {
  const m = new Uint8Array(mask.size * mask.size)
  for (let i = 0; i < mask.size; i++) for (let k = mask.rowPtr[i]; k < mask.rowPtr[i + 1]; k++) m[i * mask.size + mask.colIdx[k]] = 1
  return m
}

/** 500 positions: a seeded sample of Reactome genes, two unknown names and one gene twice. */
function sample(): string[] {
  let seed = 42
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647
  const pool = [...shared.symbols]
  const out: string[] = []
  while (out.length < 497) {
    const g = pool.splice(Math.floor(rnd() * pool.length), 1)[0]
    out.push(g)
  }
  out.push('NOT-A-GENE-1', 'NOT-A-GENE-2', out[10])
  return out
}

describe('attention mask, sparse vs dense definition (500 genes)', () => {
  it('L1: i and j may attend iff they share a lowest pathway; everyone attends to itself', () => {
    const genes = sample()
    const l1 = genes.map((g) => new Set(raw.sets.has(g) || shared.gi.has(g) ? raw.pathwaysOf(g).l1 : []))
    const n = genes.length
    const expected = new Uint8Array(n * n)
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expected[i * n + j] = i === j || [...l1[i]].some((p) => l1[j].has(p)) ? 1 : 0

    const mask = attentionMask(shared.net, genes.map((g) => shared.gi.get(g) ?? -1))
    expect(dense(mask)).toEqual(expected)
    const nnz = expected.reduce((a, b) => a + b, 0)
    expect(mask.density).toBeCloseTo(nnz / (n * n), 12)
    expect(mask.withoutPathway.map((i) => genes[i])).toEqual(genes.filter((_, i) => l1[i].size === 0))
    expect(mask.withoutPathway).toEqual(expect.arrayContaining([497, 498]))
    // The pair list is the upper triangle of the same matrix.
    const pairs = maskPairs(mask)
    expect(pairs).toHaveLength((nnz - n) / 2)
    expect(pairs.length).toBeGreaterThan(200) // a sample with real structure, not just the diagonal
    for (const [i, j] of pairs) expect(i < j && expected[i * n + j] === 1).toBe(true)
    // The repeated gene attends to its twin.
    expect(expected[10 * n + 499]).toBe(1)
  })

  it('"pathways with ≤ 40 genes": i and j attend iff some pathway containing both has at most 40 genes', () => {
    const genes = sample().slice(0, 300)
    const containing = genes.map((g) => {
      if (!shared.gi.has(g)) return new Set<string>()
      return new Set(
        raw.pathwaysOf(g).list.map((p) => p.id).filter((id) => {
          const all = new Set(raw.sets.get(id))
          for (const d of raw.descendants(id)) for (const x of raw.sets.get(d)!) all.add(x)
          return all.size <= 40
        }),
      )
    })
    const n = genes.length
    const expected = new Uint8Array(n * n)
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expected[i * n + j] = i === j || [...containing[i]].some((p) => containing[j].has(p)) ? 1 : 0
    const mask = attentionMask(shared.net, genes.map((g) => shared.gi.get(g) ?? -1), { level: { kind: 'max-genes', maxGenes: 40 } })
    expect(dense(mask)).toEqual(expected)
  })
})

describe('attention mask on a hand-made graph', () => {
  // Pathway 0 (genes 0,1,2) has sub-pathways 1 (genes 0,1) and 2 (gene 2). Gene 3 has no pathway.
  const net = new ReactomeNet({
    pathwayIds: ['P', 'Q', 'R'],
    relations: [
      { parent: 0, child: 1 },
      { parent: 0, child: 2 },
    ],
    geneSets: [[0, 1, 2], [0, 1], [2]],
    nGenes: 4,
  })

  it('allows genes 0–1 (shared L1), not 0–2 (only the parent), and adds co-expression neighbours for gene 3 only', () => {
    const m = attentionMask(net, [0, 1, 2, 3], { coexpression: { source: [3, 0], target: [2, 2] } })
    expect(Array.from(dense(m))).toEqual([
      1, 1, 0, 0, //
      1, 1, 0, 0,
      0, 0, 1, 1,
      0, 0, 1, 1,
    ])
    expect(m.withoutPathway).toEqual([3])
    expect(m.density).toBe(8 / 16)
  })
})
