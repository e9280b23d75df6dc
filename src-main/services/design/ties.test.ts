import { describe, expect, it } from 'vitest'
import type { SearchHit } from '../../../src-shared/contract'
import { rankedHits } from './target-search'
import { rankWithTies, samePrediction, topGroups } from './ties'

const hit = (condition: string, cosine: number, pearson: number | null = cosine): Omit<SearchHit, 'rank' | 'tie'> => ({ condition, genes: [], cosine, pearson, genesScored: 5, uncertainty: null, topMatches: [] })

describe('ties in the target search', () => {
  it('groups scores within the tolerance under one shared rank, alphabetically, and ranks on after them', () => {
    const groups = rankWithTies(
      [
        { condition: 'STAT1+ctrl', score: 0.9 },
        { condition: 'CUL3+ctrl', score: 0.96 },
        { condition: 'ATF2+ctrl', score: 0.9598 },
        { condition: 'BRD4+ctrl', score: 0.9601 },
        { condition: 'IRF1+ctrl', score: 0.5 },
      ],
      0.001,
    )
    expect(groups.map((g) => [g.rank, g.members.map((m) => m.condition)])).toEqual([
      [1, ['ATF2+ctrl', 'BRD4+ctrl', 'CUL3+ctrl']],
      [4, ['STAT1+ctrl']],
      [5, ['IRF1+ctrl']],
    ])
    expect(groups[0].scoreRange).toEqual([0.9598, 0.9601])
  })

  it('does not chain: a group spans at most the tolerance from its best score', () => {
    const groups = rankWithTies(
      [0.95, 0.9494, 0.9488, 0.9482].map((score, i) => ({ condition: `G${i}`, score })),
      0.001,
    )
    expect(groups.map((g) => g.members.map((m) => m.condition))).toEqual([['G0', 'G1'], ['G2', 'G3']])
  })

  it('keeps a tie whole at the cut', () => {
    const groups = rankWithTies(['A', 'B', 'C', 'D'].map((condition) => ({ condition, score: 0.5 })).concat([{ condition: 'Z', score: 0.9 }]), 0.001)
    expect(topGroups(groups, 2).flatMap((g) => g.members.map((m) => m.condition))).toEqual(['Z', 'A', 'B', 'C', 'D'])
  })

  it('puts candidates without a score (Pearson of a flat signature) last, tied', () => {
    const groups = rankWithTies([{ condition: 'B', score: NaN }, { condition: 'A', score: NaN }, { condition: 'C', score: 0.1 }], 0.001)
    expect(groups.map((g) => [g.rank, g.members.map((m) => m.condition)])).toEqual([
      [1, ['C']],
      [2, ['A', 'B']],
    ])
  })

  it('tells identical predictions from merely close ones, leaving out each candidate’s own genes', () => {
    const skipNone = () => false
    expect(samePrediction([0.1, -0.2, 0.3], [0.1, -0.2, 0.3], skipNone)).toBe(true)
    expect(samePrediction([0.1, -0.2, 0.3], [0.1, -0.2, 0.3001], skipNone)).toBe(false)
    // the candidates differ only on gene 0, the perturbed gene of one of them
    expect(samePrediction([-1.5, -0.2, 0.3], [0.1, -0.2, 0.3], (k) => k === 0)).toBe(true)
  })

  it('gives the search result one rank per tie, a tie id, and says when the tied predictions are identical', () => {
    const hits = [hit('CUL3+ctrl', 0.96), hit('ATF2+ctrl', 0.96), hit('BRD4+ctrl', 0.9599), hit('STAT1+ctrl', 0.7), hit('IRF1+ctrl', 0.4), hit('SMAD4+ctrl', 0.4)]
    // 0, 1 and 2 predict the same; 4 and 5 do not
    const same = (i: number, j: number) => (i <= 2 && j <= 2) || i === j
    const r = rankedHits(hits, 'cosine', 0.001, 4, same)
    expect(r.hits.map((h) => [h.rank, h.condition, h.tie])).toEqual([
      [1, 'ATF2+ctrl', 1],
      [1, 'BRD4+ctrl', 1],
      [1, 'CUL3+ctrl', 1],
      [4, 'STAT1+ctrl', null],
    ])
    expect(r.ties).toEqual([{ tie: 1, rank: 1, conditions: ['ATF2+ctrl', 'BRD4+ctrl', 'CUL3+ctrl'], scoreRange: [0.9599, 0.96], identical: true }])
    const all = rankedHits(hits, 'cosine', 0.001, 10, same)
    expect(all.ties[1]).toEqual({ tie: 2, rank: 5, conditions: ['IRF1+ctrl', 'SMAD4+ctrl'], scoreRange: [0.4, 0.4], identical: false })
  })

  it('leaves unranked, and out of any tie, the candidates left with no gene to score', () => {
    const own = { ...hit('STAT1+ctrl', 0), genesScored: 0 }
    const r = rankedHits([hit('A', 0.9), own, hit('B', 0.0004), { ...own, condition: 'IRF1+ctrl' }], 'cosine', 0.001, 10, null)
    expect(r.hits.map((h) => [h.rank, h.condition, h.tie])).toEqual([
      [1, 'A', null],
      [2, 'B', null],
      [3, 'IRF1+ctrl', null],
      [3, 'STAT1+ctrl', null],
    ])
    expect(r.ties).toEqual([])
  })

  it('ranks without ties when every score stands apart', () => {
    const r = rankedHits([hit('A', 0.9), hit('B', 0.5), hit('C', 0.1)], 'cosine', 0.001, 10, null)
    expect(r.ties).toEqual([])
    expect(r.hits.map((h) => [h.rank, h.condition, h.tie])).toEqual([
      [1, 'A', null],
      [2, 'B', null],
      [3, 'C', null],
    ])
  })
})
