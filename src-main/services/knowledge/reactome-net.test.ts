import { beforeAll, describe, expect, it } from 'vitest'
import { ReactomeNet } from './reactome-net'
import { loadSharedNet, rawReactome } from '../../test-support/reactome'

let shared: Awaited<ReturnType<typeof loadSharedNet>>
let raw: ReturnType<typeof rawReactome>
beforeAll(async () => {
  shared = await loadSharedNet()
  raw = rawReactome()
})

const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : 1)

function actualPathways(gene: string) {
  const { net, ids, gi } = shared
  return net
    .pathwaysOfGene(gi.get(gene)!)
    .map((h) => ({ id: ids[h.pathway], depth: h.depth, level: h.level, ancestors: h.ancestors.map((a) => ids[a]).sort() }))
    .sort(byId)
}

describe('ReactomeNet on the shared release', () => {
  it('has 2,848 pathways, 29 top-level ones and the same minimum depths as a relaxation', () => {
    expect(shared.net.nPathways).toBe(2848)
    expect(shared.net.roots).toHaveLength(29)
    expect(shared.net.roots.map((r) => shared.ids[r]).sort()).toEqual(raw.ids.filter((id) => raw.parentsOf.get(id)!.length === 0).sort())
    shared.ids.forEach((id, p) => expect(shared.net.depth[p], id).toBe(raw.depth.get(id)))
    // Minimum depths: the deepest pathway is 9 steps below a top-level one by its shortest chain.
    expect(Math.max(...shared.net.depth)).toBe(9)
  })

  it('STAT1: exactly the pathways listing it plus all their ancestors, with depth, level and ancestors', () => {
    const expected = raw.pathwaysOf('STAT1')
    expect(expected.list.length).toBeGreaterThan(70)
    expect(actualPathways('STAT1')).toEqual(expected.list.sort(byId))
    expect(shared.net.l1Pathways(shared.gi.get('STAT1')!).map((p) => shared.ids[p]).sort()).toEqual(expected.l1.sort())
  })

  it('agrees with the independent definition for 150 genes spread over the alphabet', () => {
    const step = Math.floor(shared.symbols.length / 150)
    for (let i = 0; i < shared.symbols.length; i += step) {
      const gene = shared.symbols[i]
      expect(actualPathways(gene), gene).toEqual(raw.pathwaysOf(gene).list.sort(byId))
    }
  })

  it('gives each top-level pathway the union of its descendants’ gene sets', () => {
    for (const r of shared.net.roots) {
      const id = shared.ids[r]
      const union = new Set(raw.sets.get(id))
      for (const d of raw.descendants(id)) for (const g of raw.sets.get(d)!) union.add(g)
      const got = Array.from(shared.net.allGenes(r), (g) => shared.symbols[g])
      expect(got.sort(), id).toEqual([...union].sort())
    }
  })

  it('lists L1 partners: genes sharing a lowest pathway with the gene', () => {
    const { net, gi, symbols } = shared
    const expected = new Set<string>()
    for (const id of raw.pathwaysOf('STAT1').l1) for (const g of raw.sets.get(id)!) expected.add(g)
    expected.delete('STAT1')
    expect(net.l1Partners(gi.get('STAT1')!).map((g) => symbols[g]).sort()).toEqual([...expected].sort())
  })
})

describe('ReactomeNet on hand-made graphs', () => {
  // 0 → 1 → 3, 0 → 2 → 3 (3 has two parents), 3 → 4; gene 0 listed by 3 and 4, gene 1 by 2.
  const net = new ReactomeNet({
    pathwayIds: ['A', 'B', 'C', 'D', 'E'],
    relations: [
      { parent: 0, child: 1 },
      { parent: 0, child: 2 },
      { parent: 1, child: 3 },
      { parent: 2, child: 3 },
      { parent: 3, child: 4 },
    ],
    geneSets: [[0, 1], [0], [0, 1], [0], [0]],
    nGenes: 2,
  })

  it('reports the minimum depth and every ancestor of a pathway with two parents', () => {
    expect(Array.from(net.depth)).toEqual([0, 1, 1, 2, 3])
    const hits = net.pathwaysOfGene(0).sort((a, b) => a.pathway - b.pathway)
    expect(hits).toEqual([
      { pathway: 0, depth: 0, level: 4, ancestors: [] },
      { pathway: 1, depth: 1, level: 3, ancestors: [0] },
      { pathway: 2, depth: 1, level: 3, ancestors: [0] },
      { pathway: 3, depth: 2, level: 2, ancestors: [0, 1, 2] },
      { pathway: 4, depth: 3, level: 1, ancestors: [0, 1, 2, 3] },
    ])
    expect(net.pathwaysOfGene(1).map((h) => [h.pathway, h.level])).toEqual(expect.arrayContaining([[2, 1], [0, 2]]))
  })

  it('refuses a cycle', () => {
    expect(
      () =>
        new ReactomeNet({
          pathwayIds: ['R', 'X', 'Y'],
          relations: [
            { parent: 0, child: 1 },
            { parent: 1, child: 2 },
            { parent: 2, child: 1 },
          ],
          geneSets: [[], [], []],
          nGenes: 0,
        }),
    ).toThrow(expect.objectContaining({ code: 'knowledge.cycle' }))
  })
})
