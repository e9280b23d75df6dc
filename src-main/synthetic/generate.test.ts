import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { SHARED_DIR } from '../test-support/temp-home'
import { generatePlan, generateSynthetic } from './generate'
import { loadSyntheticKnowledge } from './knowledge-input'
import { Rng } from '../ml/random'
import type { SyntheticDataset, SyntheticKnowledge, SyntheticTruth } from './types'

const KNOWLEDGE = path.join(SHARED_DIR, 'knowledge')

/** A made-up knowledge base: 900 genes, nested pathways, GO terms that follow the pathways. */
function fakeKnowledge(): SyntheticKnowledge {
  const rng = new Rng(99, 'fake-knowledge')
  const genes = Array.from({ length: 900 }, (_, i) => `G${String(i).padStart(4, '0')}`)
  const pathways: { id: string; genes: string[] }[] = []
  for (let p = 0; p < 80; p++) pathways.push({ id: `R-HSA-${1000 + p}`, genes: rng.sample(genes.slice(0, 600), 4 + rng.int(16)) })
  const goTerms = new Map<string, string[]>()
  genes.forEach((g, i) => {
    if (i >= 850) return // a few genes without any annotation
    const terms = new Set([`GO:${String(rng.int(300)).padStart(7, '0')}`, `GO:${String(rng.int(300)).padStart(7, '0')}`])
    pathways.forEach((p, k) => p.genes.includes(g) && terms.add(`GO:${String(1000 + k).padStart(7, '0')}`))
    if (i % 40 === 0) terms.add('GO:0003700')
    goTerms.set(g, [...terms])
  })
  return { genes, pathways, goTerms }
}

function conditionRows(ds: SyntheticDataset, condition: string): number[] {
  return ds.obs.condition.flatMap((c, i) => (c === condition ? [i] : []))
}

function effect(truth: SyntheticTruth, nGenes: number, condition: string): Float64Array | null {
  const k = truth.conditions.indexOf(condition)
  return k < 0 ? null : Float64Array.from(truth.effects.subarray(k * nGenes, (k + 1) * nGenes))
}

function pearson(x: ArrayLike<number>, y: ArrayLike<number>, idx: number[]): number {
  let mx = 0
  let my = 0
  for (const i of idx) {
    mx += x[i] / idx.length
    my += y[i] / idx.length
  }
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (const i of idx) {
    sxy += (x[i] - mx) * (y[i] - my)
    sxx += (x[i] - mx) ** 2
    syy += (y[i] - my) ** 2
  }
  return sxy / Math.sqrt(sxx * syy)
}

/** Least squares ab ≈ c1·a + c2·b (no intercept) over `idx`, with the fit's correlation. */
function fitPair(a: Float64Array, b: Float64Array, ab: Float64Array, idx: number[]): { c1: number; c2: number; corrFit: number } {
  let saa = 0
  let sbb = 0
  let sab = 0
  let say = 0
  let sby = 0
  for (const g of idx) {
    saa += a[g] * a[g]
    sbb += b[g] * b[g]
    sab += a[g] * b[g]
    say += a[g] * ab[g]
    sby += b[g] * ab[g]
  }
  const det = saa * sbb - sab * sab
  const c1 = (say * sbb - sby * sab) / det
  const c2 = (saa * sby - sab * say) / det
  return { c1, c2, corrFit: pearson(Float64Array.from(a, (v, g) => c1 * v + c2 * b[g]), ab, idx) }
}

describe('generateSynthetic with injected knowledge', () => {
  const knowledge = fakeKnowledge()

  it('builds the small preset in GEARS layout: sizes, conditions, control flags, raw counts', async () => {
    const ds = await generateSynthetic({ preset: 'small', seed: 1, knowledge })
    expect(ds.genes).toHaveLength(300)
    expect(new Set(ds.genes).size).toBe(300)
    expect(ds.singles).toHaveLength(20)
    expect(ds.combos).toHaveLength(20)
    expect(ds.controlCells).toBe(1000)
    expect(ds.X.nRows).toBe(ds.cells.length)
    expect(ds.X.nCols).toBe(300)
    expect(new Set(ds.cells).size).toBe(ds.cells.length)
    for (const s of ds.singles) expect(s).toMatch(/^[^+]+\+ctrl$/)
    for (const c of ds.combos) expect(c.split('+').every((g) => g !== 'ctrl' && ds.genes.includes(g))).toBe(true)
    // every perturbed gene is measured
    for (const s of ds.singles) expect(ds.genes).toContain(s.split('+')[0])
    const counts = new Map<string, number>()
    ds.obs.condition.forEach((c) => counts.set(c, (counts.get(c) ?? 0) + 1))
    expect(counts.get('ctrl')).toBe(1000)
    expect([...counts.keys()].sort()).toEqual(['ctrl', ...ds.singles, ...ds.combos].sort())
    for (const [c, n] of counts) if (c !== 'ctrl') expect(n).toBeGreaterThanOrEqual(25)
    ds.obs.condition.forEach((c, i) => {
      expect(ds.obs.control[i]).toBe(c === 'ctrl' ? 1 : 0)
      expect(ds.obs.condition_name[i]).toBe(`synthetic_${c}_${c === 'ctrl' ? '1' : '1+1'}`)
    })
    expect(ds.X.data.every((v) => Number.isInteger(v) && v > 0)).toBe(true)
    expect(ds.truth.perturbedWithoutPathway.length).toBe(2)
    expect(ds.truth.pairs.map((p) => p.type).sort()).toEqual(expect.arrayContaining(['additive', 'synergy', 'suppression', 'epistasis', 'neomorphic', 'redundant']))
  })

  it('gives the same dataset bit for bit for the same seed, another for another seed', async () => {
    const a = await generateSynthetic({ preset: 'small', seed: 42, knowledge })
    const b = await generateSynthetic({ preset: 'small', seed: 42, knowledge })
    const c = await generateSynthetic({ preset: 'small', seed: 43, knowledge })
    const bytes = (x: ArrayBufferView) => Buffer.from(x.buffer, x.byteOffset, x.byteLength)
    expect(bytes(a.X.data).equals(bytes(b.X.data))).toBe(true)
    expect(bytes(a.X.indices).equals(bytes(b.X.indices))).toBe(true)
    expect(bytes(a.truth.effects).equals(bytes(b.truth.effects))).toBe(true)
    expect(a.cells).toEqual(b.cells)
    expect(a.truth.network).toEqual(b.truth.network)
    expect(c.genes.join() === a.genes.join() && bytes(c.X.data).equals(bytes(a.X.data))).toBe(false)
  })

  it('refuses a negative seed, an unknown preset and too little knowledge', async () => {
    await expect(generateSynthetic({ preset: 'small', seed: -1, knowledge })).rejects.toMatchObject({ code: 'synthetic.bad-seed' })
    await expect(generateSynthetic({ preset: 'huge' as 'small', seed: 1, knowledge })).rejects.toMatchObject({ code: 'synthetic.unknown-preset' })
    await expect(generateSynthetic({ preset: 'small', seed: 1, knowledge: { ...knowledge, genes: knowledge.genes.slice(0, 200) } })).rejects.toMatchObject({
      code: 'synthetic.too-little-knowledge',
    })
  })
})

describe('the synthetic screen on the real knowledge files', () => {
  let knowledge: SyntheticKnowledge
  let ds: SyntheticDataset
  let expressed: number[]
  beforeAll(async () => {
    knowledge = await loadSyntheticKnowledge(KNOWLEDGE)
    ds = await generateSynthetic({ preset: 'small', seed: 7, knowledge })
    expressed = Array.from(ds.truth.controlMean.keys()).filter((g) => ds.truth.controlMean[g] > 0.5)
  })

  it('draws control counts from the declared negative binomial', () => {
    const rows = conditionRows(ds, 'ctrl')
    const libs = rows.map((r) => ds.truth.librarySize[r])
    const l1 = libs.reduce((s, v) => s + v, 0) / libs.length
    const l2 = libs.reduce((s, v) => s + v * v, 0) / libs.length
    const sum = new Float64Array(ds.genes.length)
    const sum2 = new Float64Array(ds.genes.length)
    for (const r of rows) {
      for (let k = ds.X.indptr[r]; k < ds.X.indptr[r + 1]; k++) {
        sum[ds.X.indices[k]] += ds.X.data[k]
        sum2[ds.X.indices[k]] += ds.X.data[k] ** 2
      }
    }
    let checked = 0
    ds.genes.forEach((_, g) => {
      const p = ds.truth.baseShare[g]
      const mean = l1 * p
      if (mean < 1) return
      const variance = mean + (1 + ds.truth.dispersion[g]) * l2 * p * p - mean * mean
      const m = sum[g] / rows.length
      expect(Math.abs(m - mean)).toBeLessThan(4.5 * Math.sqrt(variance / rows.length))
      expect(sum2[g] / rows.length - m * m).toBeGreaterThan(0.6 * variance)
      expect(sum2[g] / rows.length - m * m).toBeLessThan(1.6 * variance)
      checked++
    })
    expect(checked).toBeGreaterThan(100)
  })

  it('knocks down each CRISPRi target, usually its own top DE gene, and the observed means follow the truth', () => {
    const nGenes = ds.genes.length
    const T = ds.truth.targetSum
    const meanLog = (rows: number[]) => {
      const m = new Float64Array(nGenes)
      for (const r of rows) {
        let total = 0
        for (let k = ds.X.indptr[r]; k < ds.X.indptr[r + 1]; k++) total += ds.X.data[k]
        for (let k = ds.X.indptr[r]; k < ds.X.indptr[r + 1]; k++) m[ds.X.indices[k]] += Math.log1p((ds.X.data[k] * T) / total) / rows.length
      }
      return m
    }
    const ctrl = meanLog(conditionRows(ds, 'ctrl'))
    let targetOnTop = 0
    let agree = 0
    for (const s of ds.singles) {
      const gene = ds.genes.indexOf(s.split('+')[0])
      const truth = effect(ds.truth, nGenes, s)!
      expect(truth[gene]).toBeLessThan(0)
      const observed = meanLog(conditionRows(ds, s)).map((v, g) => v - ctrl[g])
      const top = Array.from(truth.keys()).sort((x, y) => Math.abs(truth[y]) - Math.abs(truth[x])).slice(0, 20)
      if (pearson(observed, truth, top) > 0.9) agree++
      const topObserved = Array.from(observed.keys()).sort((x, y) => Math.abs(observed[y]) - Math.abs(observed[x])).slice(0, 5)
      if (topObserved.includes(gene)) targetOnTop++
    }
    expect(targetOnTop).toBeGreaterThanOrEqual(15)
    expect(agree).toBeGreaterThanOrEqual(18)
  })

  it('builds each pair from its singles as its declared interaction type says', () => {
    const nGenes = ds.genes.length
    let checked = 0
    for (const p of ds.truth.pairs) {
      const a = effect(ds.truth, nGenes, `${p.genes[0]}+ctrl`)
      const b = effect(ds.truth, nGenes, `${p.genes[1]}+ctrl`)
      if (!a || !b) continue // a gene perturbed only in pairs
      const ab = effect(ds.truth, nGenes, p.condition)!
      const self = p.genes.map((g) => ds.genes.indexOf(g))
      const idx = expressed.filter((g) => !self.includes(g))
      const fit = fitPair(a, b, ab, idx)
      const [lo, hi] = [Math.min(Math.abs(fit.c1), Math.abs(fit.c2)), Math.max(Math.abs(fit.c1), Math.abs(fit.c2))]
      if (p.type === 'additive') expect([lo > 0.8, hi < 1.2]).toEqual([true, true])
      if (p.type === 'synergy') expect(lo).toBeGreaterThan(1.3)
      if (p.type === 'suppression') expect(hi).toBeLessThan(0.7)
      if (p.type === 'epistasis') expect(hi / lo).toBeGreaterThan(4)
      if (p.type === 'neomorphic') expect(fit.corrFit).toBeLessThan(0.85)
      if (p.type !== 'neomorphic') expect(fit.corrFit).toBeGreaterThan(0.95)
      if (p.type === 'redundant') {
        expect(pearson(a, b, idx)).toBeGreaterThan(0.9)
        expect(fit.c1 + fit.c2).toBeCloseTo(1, 0)
      }
      checked++
    }
    expect(checked).toBeGreaterThanOrEqual(15)
  })

  it('concentrates regulatory edges inside shared pathways and among GO-similar genes', () => {
    const genes = ds.genes
    const index = new Map(genes.map((g, i) => [g, i]))
    const n = genes.length
    const sharePathway = new Uint8Array(n * n)
    for (const p of knowledge.pathways) {
      const members = p.genes.filter((g) => index.has(g)).map((g) => index.get(g)!)
      for (const i of members) for (const j of members) if (i !== j) sharePathway[i * n + j] = 1
    }
    // GO-similar: among each other's 20 most similar genes by Jaccard of GO terms (docs/ml-engine.md §2)
    const terms = genes.map((g) => new Set(knowledge.goTerms.get(g) ?? []))
    const jaccard = (i: number, j: number) => {
      if (!terms[i].size || !terms[j].size) return 0
      let inter = 0
      for (const t of terms[i]) if (terms[j].has(t)) inter++
      return inter / (terms[i].size + terms[j].size - inter)
    }
    const similar = new Uint8Array(n * n)
    for (let i = 0; i < n; i++) {
      const best = Array.from({ length: n }, (_, j) => ({ j, s: j === i ? 0 : jaccard(i, j) }))
        .sort((x, y) => y.s - x.s)
        .slice(0, 20)
      for (const { j, s } of best) if (s >= 0.1) similar[i * n + j] = similar[j * n + i] = 1
    }
    const goSimilar = (i: number, j: number) => similar[i * n + j] === 1
    let pairsIn = 0
    let pairsGo = 0
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i === j) continue
        if (sharePathway[i * n + j]) pairsIn++
        else if (goSimilar(i, j)) pairsGo++
      }
    }
    const pairsOther = n * (n - 1) - pairsIn - pairsGo
    let edgesIn = 0
    let edgesGo = 0
    let edgesOther = 0
    for (const e of ds.truth.network) {
      if (e.origin === 'program') continue // master regulators reach across pathways by design
      const i = index.get(e.source)!
      const j = index.get(e.target)!
      if (sharePathway[i * n + j]) edgesIn++
      else if (goSimilar(i, j)) edgesGo++
      else edgesOther++
    }
    const densityOther = edgesOther / pairsOther
    expect(edgesIn / pairsIn / densityOther).toBeGreaterThan(10)
    expect(edgesGo / pairsGo / densityOther).toBeGreaterThan(10)
    expect(edgesIn + edgesGo).toBeGreaterThan(2 * edgesOther)
  })

  it('makes pathway-mates respond alike, so knowledge predicts unseen genes (norman-like truth)', async () => {
    const plan = await generatePlan({ preset: 'norman-like', seed: 1, knowledge })
    const nGenes = plan.genes.length
    expect(nGenes).toBe(5000)
    expect(plan.singles).toHaveLength(100)
    expect(plan.combos).toHaveLength(130)
    // all four seen/unseen groups of the simulation split need pairs among the singles' genes
    const singleGenes = new Set(plan.singles.map((s) => s.split('+')[0]))
    expect(plan.combos.filter((c) => c.split('+').every((g) => singleGenes.has(g))).length).toBeGreaterThan(110)
    const l1 = new Map<string, Set<string>>()
    for (const p of knowledge.pathways) for (const g of p.genes) (l1.get(g) ?? l1.set(g, new Set()).get(g)!).add(p.id)
    const mates = (a: string, b: string) => [...(l1.get(a) ?? [])].some((p) => l1.get(b)?.has(p))
    const genes = [...singleGenes]
    const effects = new Map(genes.map((g) => [g, effect(plan.truth, nGenes, `${g}+ctrl`)!]))
    const all = Array.from({ length: nGenes }, (_, g) => g)
    const trainMean = new Float64Array(nGenes)
    for (const e of effects.values()) for (let g = 0; g < nGenes; g++) trainMean[g] += e[g] / effects.size
    let byMates = 0
    let byMean = 0
    let n = 0
    for (const g of genes) {
      const friends = genes.filter((h) => h !== g && mates(g, h))
      if (!friends.length) continue
      const guess = new Float64Array(nGenes)
      for (const h of friends) effects.get(h)!.forEach((v, k) => (guess[k] += v / friends.length))
      const idx = all.filter((k) => k !== plan.genes.indexOf(g))
      byMates += pearson(guess, effects.get(g)!, idx)
      byMean += pearson(trainMean, effects.get(g)!, idx)
      n++
    }
    expect(n).toBeGreaterThan(60)
    // the pathway-mates' mean effect predicts a held-out gene far better than the mean of all
    expect(byMates / n).toBeGreaterThan(byMean / n + 0.15)
    // perturbed genes without pathways (and some without any GO term) exercise the no-knowledge path
    for (const g of plan.truth.perturbedWithoutPathway) expect(l1.has(g)).toBe(false)
    for (const g of plan.truth.perturbedWithoutKnowledge) expect(knowledge.goTerms.has(g)).toBe(false)
    expect(plan.truth.perturbedWithoutKnowledge.length).toBeGreaterThan(0)
  })
})
