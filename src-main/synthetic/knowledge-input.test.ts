import fs from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { SHARED_DIR, tempHome } from '../test-support/temp-home'
import { loadSyntheticKnowledge } from './knowledge-input'
import type { SyntheticKnowledge } from './types'

const KNOWLEDGE = path.join(SHARED_DIR, 'knowledge')

describe('loadSyntheticKnowledge', () => {
  let k: SyntheticKnowledge
  beforeAll(async () => {
    k = await loadSyntheticKnowledge(KNOWLEDGE)
  })

  it('lists human gene symbols with their GO terms', () => {
    expect(k.genes.length).toBeGreaterThan(20_000)
    expect(new Set(k.genes).size).toBe(k.genes.length)
    expect(k.genes).toEqual(expect.arrayContaining(['STAT1', 'IRF1', 'TP53']))
    expect(k.goTerms.get('STAT1')).toEqual(expect.arrayContaining(['GO:0003700']))
    // pseudogenes and RNA loci are not offered as measured genes unless annotated
    expect(k.genes.some((g) => /^LOC\d+$/.test(g) && !k.goTerms.has(g))).toBe(false)
  })

  it("gives each Reactome pathway its L1 genes: those none of its sub-pathways lists", () => {
    const byId = new Map(k.pathways.map((p) => [p.id, new Set(p.genes)]))
    const relations = fs
      .readFileSync(path.join(KNOWLEDGE, 'reactome', 'ReactomePathwaysRelation.txt'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split('\t'))
    const gmt = new Map(
      fs
        .readFileSync(path.join(KNOWLEDGE, 'reactome', 'ReactomePathways.gmt'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split('\t'))
        .map((f) => [f[1], new Set(f.slice(2))]),
    )
    // a leaf keeps its whole gene set (minus non-human tokens); a parent loses its children's genes
    const leaf = [...gmt.keys()].find((id) => !relations.some(([parent]) => parent === id) && (gmt.get(id)?.size ?? 0) > 5)!
    expect([...byId.get(leaf)!].every((g) => gmt.get(leaf)!.has(g))).toBe(true)
    for (const [parent, child] of relations.slice(0, 200)) {
      const own = byId.get(parent)
      if (!own) continue
      for (const g of gmt.get(child) ?? []) expect(own.has(g)).toBe(false)
    }
    // the GMT's viral tokens are not genes
    expect(k.pathways.some((p) => p.genes.includes('gag'))).toBe(false)
    expect(k.inAnyPathway!.has('STAT1')).toBe(true)
    for (const p of k.pathways) for (const g of p.genes) expect(k.inAnyPathway!.has(g)).toBe(true)
  })

  it('says which files to get when the folder lacks them', async () => {
    const empty = tempHome('ps-synth-knowledge-')
    try {
      await expect(loadSyntheticKnowledge(empty.dir)).rejects.toMatchObject({ code: 'knowledge.no-files' })
      fs.mkdirSync(path.join(empty.dir, 'reactome'))
      for (const f of ['ReactomePathways.txt', 'ReactomePathwaysRelation.txt', 'ReactomePathways.gmt']) fs.copyFileSync(path.join(KNOWLEDGE, 'reactome', f), path.join(empty.dir, 'reactome', f))
      await expect(loadSyntheticKnowledge(empty.dir)).rejects.toMatchObject({ code: 'synthetic.no-knowledge', message: expect.stringContaining('gene2go') })
    } finally {
      empty.cleanup()
    }
  })
})
