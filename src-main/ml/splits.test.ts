import { describe, expect, it } from 'vitest'
import { AppError } from '../../src-shared/contract/envelope'
import { makeSplit, sampleWithoutReplacement, testGroupOf, type SplitCondition } from './splits'
import { mulberry32 } from './random'

/** 20 singles G0…G19, pairs over them, two pair-only genes, and ctrl. */
function screen(): SplitCondition[] {
  const out: SplitCondition[] = [{ condition: 'ctrl', genes: [] }]
  for (let i = 0; i < 20; i++) out.push({ condition: `G${i}+ctrl`, genes: [`G${i}`] })
  for (let i = 0; i < 19; i++) out.push({ condition: `G${i}+G${i + 1}`, genes: [`G${i}`, `G${i + 1}`] })
  for (let i = 0; i < 10; i++) out.push({ condition: `G${i}+G${i + 10}`, genes: [`G${i}`, `G${i + 10}`] })
  out.push({ condition: 'P1+P2', genes: ['P1', 'P2'] }, { condition: 'G3+P1', genes: ['G3', 'P1'] })
  return out
}

const genesOf = new Map(screen().map((c) => [c.condition, c.genes]))

describe('simulation split', () => {
  const split = makeSplit(screen(), { kind: 'simulation', seed: 1 })

  it('partitions every condition into train, val and test, with ctrl in train', () => {
    const all = [...split.train, ...split.val, ...split.test]
    expect(new Set(all).size).toBe(all.length)
    expect(all.sort()).toEqual(screen().map((c) => c.condition).sort())
    expect(split.train[0]).toBe('ctrl')
  })

  it('holds out 25 % of the genes and groups test conditions by how many genes are seen', () => {
    // 22 perturbed genes → floor(0.75 · 22) = 16 seen
    expect(split.seenGenes).toHaveLength(16)
    const seen = new Set(split.seenGenes)
    for (const c of split.test) {
      const genes = genesOf.get(c)!
      const s = genes.filter((g) => seen.has(g)).length
      const expected = genes.length === 1 ? 'unseen_single' : s === 2 ? 'combo_seen2' : s === 1 ? 'combo_seen1' : 'combo_seen0'
      expect(split.testGroups[c], c).toBe(expected)
      if (genes.length === 1) expect(seen.has(genes[0])).toBe(false)
    }
    // Training and validation conditions only use seen genes.
    for (const c of [...split.train, ...split.val]) for (const g of genesOf.get(c)!) expect(seen.has(g)).toBe(true)
    // Every single of a seen gene is in train or val; 75 % of the seen-2 pairs go to train + val.
    const seen2 = [...genesOf].filter(([, g]) => g.length === 2 && g.every((x) => seen.has(x))).map(([c]) => c)
    const seen2Out = seen2.filter((c) => split.test.includes(c))
    expect(seen2.length - seen2Out.length).toBe(Math.floor(seen2.length * 0.75))
  })

  it('draws validation by the same procedure at 90 % / 90 % inside the training part', () => {
    const trainGenes = new Set([...split.train, ...split.val].flatMap((c) => genesOf.get(c)!))
    const trainOnlyGenes = new Set(split.train.flatMap((c) => genesOf.get(c)!))
    // floor(0.9 · |genes of train ∪ val|) genes stay seen, but a gene seen only in pairs may vanish from train.
    expect(trainOnlyGenes.size).toBeLessThanOrEqual(Math.floor(trainGenes.size * 0.9))
    expect(split.val.length).toBeGreaterThan(0)
  })

  it('is deterministic for a seed and differs between seeds', () => {
    expect(makeSplit(screen(), { kind: 'simulation', seed: 1 })).toEqual(split)
    // Input order does not matter either.
    expect(makeSplit([...screen()].reverse(), { kind: 'simulation', seed: 1 })).toEqual(split)
    expect(makeSplit(screen(), { kind: 'simulation', seed: 2 }).test).not.toEqual(split.test)
  })
})

describe('single split', () => {
  const singles: SplitCondition[] = [{ condition: 'ctrl', genes: [] }, ...Array.from({ length: 25 }, (_, i) => ({ condition: `T${i}+ctrl`, genes: [`T${i}`] }))]

  it('holds out 10 % test and 10 % val genes without replacement', () => {
    for (let seed = 0; seed < 20; seed++) {
      const s = makeSplit(singles, { kind: 'single', seed })
      expect(s.test).toHaveLength(3)
      expect(s.val).toHaveLength(3)
      expect(s.train).toHaveLength(20)
      expect(new Set([...s.train, ...s.val, ...s.test]).size).toBe(26)
      expect(Object.values(s.testGroups)).toEqual(['unseen_single', 'unseen_single', 'unseen_single'])
      expect(s.seenGenes).toHaveLength(19)
    }
  })

  it('refuses combinations and too few genes', () => {
    expect(() => makeSplit(screen(), { kind: 'single', seed: 1 })).toThrow(/simulation split/)
    expect(() => makeSplit(singles.slice(0, 3), { kind: 'single', seed: 1 })).toThrow(AppError)
  })
})

describe('custom split', () => {
  it('keeps the assignment and groups test conditions by the genes seen in train', () => {
    const s = makeSplit(screen(), { kind: 'custom', seed: 0, assignment: { 'G0+ctrl': 'train', 'G1+ctrl': 'train', 'G2+ctrl': 'val', 'G0+G1': 'test', 'G1+G2': 'test', 'G3+P1': 'test', 'G5+ctrl': 'test' } })
    expect(s.train).toEqual(['ctrl', 'G0+ctrl', 'G1+ctrl'])
    expect(s.testGroups).toEqual({ 'G0+G1': 'combo_seen2', 'G1+G2': 'combo_seen1', 'G3+P1': 'combo_seen0', 'G5+ctrl': 'unseen_single' })
  })

  it('refuses unknown conditions, ctrl outside train and empty parts', () => {
    expect(() => makeSplit(screen(), { kind: 'custom', seed: 0, assignment: { nope: 'train' } })).toThrow(/nope/)
    expect(() => makeSplit(screen(), { kind: 'custom', seed: 0, assignment: { ctrl: 'test', 'G0+ctrl': 'train', 'G1+ctrl': 'val', 'G2+ctrl': 'test' } })).toThrow(/ctrl/)
    expect(() => makeSplit(screen(), { kind: 'custom', seed: 0, assignment: { 'G0+ctrl': 'train' } })).toThrow(/at least one/)
  })
})

describe('split helpers', () => {
  it('samples without replacement', () => {
    const pick = sampleWithoutReplacement([1, 2, 3, 4, 5, 6, 7, 8], 8, mulberry32(3))
    expect([...pick].sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
  })

  it('names groups for combinations of any size', () => {
    const seen = new Set(['A', 'B', 'C'])
    expect(testGroupOf(['A', 'B', 'C'], seen)).toBe('combo_seen2')
    expect(testGroupOf(['A', 'X', 'Y'], seen)).toBe('combo_seen1')
    expect(testGroupOf(['X', 'Y'], seen)).toBe('combo_seen0')
    expect(testGroupOf(['A'], seen)).toBeNull()
  })

  it('refuses a dataset with a single perturbed condition', () => {
    expect(() => makeSplit([{ condition: 'ctrl', genes: [] }, { condition: 'A+ctrl', genes: ['A'] }], { kind: 'simulation', seed: 1 })).toThrow(expect.objectContaining({ code: 'train.single-condition' }))
  })
})
