import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { SHARED_DIR } from '../../test-support/temp-home'
import { goTopPartners, type GeneTerms } from './go-graph'

function csr(sets: number[][], nTerms: number): GeneTerms {
  const indptr = new Int32Array(sets.length + 1)
  sets.forEach((s, g) => (indptr[g + 1] = indptr[g] + s.length))
  return { nGenes: sets.length, nTerms, indptr, terms: Int32Array.from(sets.flatMap((s) => [...s].sort((a, b) => a - b))) }
}

function partnersOf(top: Awaited<ReturnType<typeof goTopPartners>>, g: number) {
  const out = []
  for (let e = top.indptr[g]; e < top.indptr[g + 1]; e++) out.push([top.partners[e], top.jaccard[e]])
  return out
}

describe('GO top partners on small hand-made sets', () => {
  it('ranks by Jaccard, breaks ties by the lower gene, skips genes without terms', async () => {
    // gene 0 {0,1,2}; 1 {0,1}: 2/3; 2 {2}: 1/3; 3 {0,1,2,3}: 3/4; 4 {} ; 5 {5}: 0 (never a partner)
    const top = await goTopPartners(csr([[0, 1, 2], [0, 1], [2], [0, 1, 2, 3], [], [5]], 6), { k: 2 })
    expect(partnersOf(top, 0)).toEqual([
      [3, 3 / 4],
      [1, 2 / 3],
    ])
    expect(partnersOf(top, 2)).toEqual([
      [0, 1 / 3],
      [3, 1 / 4],
    ])
    expect(partnersOf(top, 4)).toEqual([])
    expect(partnersOf(top, 5)).toEqual([])
    // Equal Jaccard (1/2 with both): the lower index first.
    const tie = await goTopPartners(csr([[0, 1], [0], [1]], 2), { k: 1 })
    expect(partnersOf(tie, 0)).toEqual([[1, 1 / 2]])
  })
})

describe('GO top-20 partners on the shared gene2go, against brute force', () => {
  it('agrees with Set-based Jaccard for 40 genes', async () => {
    // Independent parse: gunzip whole, split, symbol through gene_info, Sets of GO ids.
    const info = zlib.gunzipSync(fs.readFileSync(path.join(SHARED_DIR, 'knowledge', 'go', 'Homo_sapiens.gene_info.gz'))).toString('utf8').split('\n')
    const symbolOf = new Map<string, string>()
    for (const l of info.slice(1)) {
      const f = l.split('\t')
      if (f.length > 2) symbolOf.set(f[1], f[2])
    }
    const termsOf = new Map<string, Set<string>>()
    const rows = zlib.gunzipSync(fs.readFileSync(path.join(SHARED_DIR, 'knowledge', 'go', 'gene2go_human.gz'))).toString('utf8').split('\n')
    for (const l of rows.slice(1)) {
      const f = l.split('\t')
      if (f.length < 3) continue
      const s = symbolOf.get(f[1])!
      if (!termsOf.has(s)) termsOf.set(s, new Set())
      termsOf.get(s)!.add(f[2])
    }
    const symbols = [...termsOf.keys()].sort()
    const termIds = [...new Set([...termsOf.values()].flatMap((s) => [...s]))]
    const ti = new Map(termIds.map((t, i) => [t, i]))
    const top = await goTopPartners(csr(symbols.map((s) => [...termsOf.get(s)!].map((t) => ti.get(t)!)), termIds.length))

    const sampled = ['STAT1', 'IRF1', 'TP53', 'CDK1', ...symbols.filter((_, i) => i % 521 === 0).slice(0, 36)]
    for (const gene of sampled) {
      const a = termsOf.get(gene)!
      const all = symbols
        .filter((s) => s !== gene)
        .map((s) => {
          const b = termsOf.get(s)!
          let inter = 0
          for (const t of a) if (b.has(t)) inter++
          return { gene: s, jaccard: inter / (a.size + b.size - inter) }
        })
        .filter((x) => x.jaccard > 0)
        .sort((x, y) => y.jaccard - x.jaccard || (x.gene < y.gene ? -1 : 1))
      const got = partnersOf(top, symbols.indexOf(gene)).map(([h, j]) => ({ gene: symbols[h], jaccard: j }))
      // Ties (common at the 20th place) are broken by symbol in both, so the lists are identical.
      expect(got, gene).toEqual(all.slice(0, 20))
    }
  })
})
