import { describe, expect, it } from 'vitest'
import { aurocOf, deviationScore, giDetection, magnitudeChange, tprAtFdp, typeRanking, type DetectionPair } from './gi-detection'

const pairsOf = (scores: number[], types: string[]): DetectionPair[] => scores.map((score, i) => ({ pair: `P${i}`, type: types[i], score }))

describe('deviation and magnitude', () => {
  it('deviationScore is the squared distance from the additive expectation', () => {
    const ab = [1, 2, 3]
    const a = [1, 0, 0]
    const b = [0, 1, 0]
    // ab − (a + b) = [0, 1, 3]
    expect(deviationScore(ab, a, b)).toBe(10)
    expect(deviationScore(ab, a, b, [2])).toBe(9)
    expect(deviationScore(Float32Array.from(ab), a, b, Int32Array.from([1, 2]))).toBe(10)
    expect(deviationScore([1, 1], [1, 0], [0, 1])).toBe(0)
  })

  it('magnitudeChange is |Δ_AB|² − |Δ_A + Δ_B|²', () => {
    expect(magnitudeChange([2, 2], [1, 0], [0, 1])).toBe(8 - 2)
    expect(magnitudeChange([2, 2], [1, 0], [0, 1], [0])).toBe(4 - 1)
    // buffering: the pair moves less than its singles summed
    expect(magnitudeChange([1, 0], [1, 0], [1, 0])).toBe(1 - 4)
  })

  it('rejects vectors of different lengths', () => {
    expect(() => deviationScore([1, 2], [1], [1, 2])).toThrow(/one length/)
    expect(() => magnitudeChange([1, 2], [1, 2], [1])).toThrow(/one length/)
  })
})

describe('AUROC', () => {
  it('is the Mann–Whitney probability with ties counted half', () => {
    expect(aurocOf([3, 2, 1], [true, false, false])).toBe(1)
    expect(aurocOf([1, 2, 3], [true, false, false])).toBe(0)
    expect(aurocOf([1, 1], [true, false])).toBe(0.5)
    // positives 2 and 1 against negatives 1 and 0: 2 + (0.5 + 1) = 3.5 of 4
    expect(aurocOf([2, 1, 1, 0], [true, true, false, false])).toBe(0.875)
    expect(aurocOf([Infinity, Infinity, 0], [true, false, false])).toBe(0.75)
  })

  it('is NaN without both positives and negatives', () => {
    expect(aurocOf([1, 2], [true, true])).toBeNaN()
    expect(aurocOf([], [])).toBeNaN()
  })
})

describe('TPR at FDP ≤ 0.5', () => {
  it('takes the largest TPR over the cuts whose FDP qualifies', () => {
    // ranking: syn add syn add add add syn → cuts k = 1..4 qualify (FDP 0, ½, ⅓, ½), k = 5..7 do not
    const types = ['synergy', 'additive', 'synergy', 'additive', 'additive', 'additive', 'synergy']
    const r = giDetection(pairsOf([7, 6, 5, 4, 3, 2, 1], types))
    expect(r.pairs).toBe(7)
    expect(r.nonAdditive).toBe(3)
    expect(r.tprAtFdp50).toBeCloseTo(2 / 3, 15)
    // 4 + 3 + 0 of 3 × 4 positive–negative pairs
    expect(r.auroc).toBeCloseTo(7 / 12, 15)
    // a stricter bound keeps only the first cut
    expect(giDetection(pairsOf([7, 6, 5, 4, 3, 2, 1], types), { maxFdp: 0.2 }).tprAtFdp50).toBeCloseTo(1 / 3, 15)
  })

  it('lets tied scores enter together, whatever their order', () => {
    // a block of three (syn, add, add) has FDP ⅔; with the last two pairs FDP is ⅗: nothing qualifies.
    // Were the tie broken positive-first, the first cut would have given ½.
    const scores = [1, 1, 1, 0, 0]
    const types = ['synergy', 'additive', 'additive', 'additive', 'synergy']
    expect(giDetection(pairsOf(scores, types)).tprAtFdp50).toBe(0)
    expect(giDetection(pairsOf([...scores].reverse(), [...types].reverse())).tprAtFdp50).toBe(0)
    expect(tprAtFdp(scores, types.map((t) => t !== 'additive'))).toBe(0)
  })

  it('scores a constant predictor as one block: 1 when the non-additive share is ≥ 1 − maxFdp, else 0', () => {
    const mostlyNonAdditive = pairsOf([0, 0, 0, 0], ['synergy', 'redundant', 'epistasis', 'additive'])
    expect(giDetection(mostlyNonAdditive).tprAtFdp50).toBe(1)
    expect(giDetection(mostlyNonAdditive).auroc).toBe(0.5)
    expect(giDetection(mostlyNonAdditive, { maxFdp: 0.2 }).tprAtFdp50).toBe(0)
    const half = pairsOf([0, 0], ['synergy', 'additive'])
    expect(giDetection(half).tprAtFdp50).toBe(1)
    const mostlyAdditive = pairsOf([0, 0, 0, 0], ['synergy', 'additive', 'additive', 'additive'])
    expect(giDetection(mostlyAdditive).tprAtFdp50).toBe(0)
  })

  it('gives the additive predictor (deviation always 0) a constant score', () => {
    const obs: Record<string, number[]> = { A: [1, 0, 2], B: [0, 1, -1] }
    const add = obs.A.map((x, g) => x + obs.B[g])
    const pairs: DetectionPair[] = [
      { pair: 'A+B', type: 'synergy', score: deviationScore(add, obs.A, obs.B) },
      { pair: 'A+B′', type: 'additive', score: deviationScore(add, obs.A, obs.B) },
      { pair: 'A+B″', type: 'suppression', score: deviationScore(add, obs.A, obs.B) },
    ]
    expect(pairs.every((p) => p.score === 0)).toBe(true)
    const r = giDetection(pairs)
    expect(r.tprAtFdp50).toBe(1) // ⅔ non-additive ≥ ½
    expect(r.auroc).toBe(0.5)
  })

  it('is NaN without non-additive pairs, and leaves out pairs whose score is NaN', () => {
    const r = giDetection(pairsOf([1, 2], ['additive', 'additive']))
    expect(r.tprAtFdp50).toBeNaN()
    expect(r.auroc).toBeNaN()
    expect(r.perType).toEqual({})
    const withNaN = giDetection(pairsOf([NaN, 2, 1], ['additive', 'synergy', 'additive']))
    expect(withNaN.pairs).toBe(2)
    expect(withNaN.tprAtFdp50).toBe(1)
    expect(withNaN.auroc).toBe(1)
    const empty = giDetection([])
    expect(empty.pairs).toBe(0)
    expect(empty.tprAtFdp50).toBeNaN()
  })
})

describe('per-type AUROC', () => {
  const pairs: DetectionPair[] = [
    { pair: 'a1', type: 'additive', score: 1, magnitude: 0 },
    { pair: 'a2', type: 'additive', score: 2, magnitude: 0.5 },
    { pair: 's1', type: 'synergy', score: 3, magnitude: 5 },
    { pair: 's2', type: 'synergy', score: 0.5, magnitude: 4 },
    { pair: 'r1', type: 'redundant', score: 4, magnitude: -3 },
    { pair: 'n1', type: 'neomorphic', score: 2.5, magnitude: 0 },
  ]

  it('ranks synergy by magnitude, redundancy by −magnitude and neomorphic by score', () => {
    const r = giDetection(pairs)
    expect(Object.keys(r.perType)).toEqual(['neomorphic', 'redundant', 'synergy'])
    expect(r.perType.synergy).toEqual({ n: 2, auroc: 1 })
    expect(r.perType.redundant).toEqual({ n: 1, auroc: 1 })
    // n1 (2.5) outranks a1, a2, s2 and is outranked by s1, r1: 3 of 5
    expect(r.perType.neomorphic).toEqual({ n: 1, auroc: 0.6 })
    // overall: s1 beats 2, s2 0, r1 2, n1 2 of the 2 additive pairs → 6 of 8
    expect(r.auroc).toBe(0.75)
    expect(r.tprAtFdp50).toBe(1)
    // FDP ≤ 0.3: the cut after a2 (¼) keeps r1, s1, n1
    expect(giDetection(pairs, { maxFdp: 0.3 }).tprAtFdp50).toBe(0.75)
  })

  it('takes low magnitude as positive for suppression, and score for epistasis', () => {
    const r = giDetection([
      { pair: 'a', type: 'additive', score: 1, magnitude: 0 },
      { pair: 'b', type: 'suppression', score: 5, magnitude: -2 },
      { pair: 'c', type: 'suppression', score: 0, magnitude: 1 },
      { pair: 'd', type: 'epistasis', score: 3, magnitude: -5 },
    ])
    // −magnitude: a 0, b 2, c −1, d 5 → b beats a; c beats none (of a and d)
    expect(r.perType.suppression).toEqual({ n: 2, auroc: 0.25 })
    // score: d 3 beats a 1 and c 0, loses to b 5
    expect(r.perType.epistasis.auroc).toBeCloseTo(2 / 3, 15)
  })

  it('leaves pairs without a magnitude out of the magnitude-ranked types only', () => {
    const r = giDetection([...pairs, { pair: 's3', type: 'synergy', score: 10 }, { pair: 'x', type: 'additive', score: 0, magnitude: NaN }])
    expect(r.perType.synergy).toEqual({ n: 2, auroc: 1 })
    expect(r.pairs).toBe(8)
    // neomorphic ranks by score, so s3 and x count: n1 beats a1, a2, s2, x of 7
    expect(r.perType.neomorphic.auroc).toBeCloseTo(4 / 7, 15)
  })

  it('maps type names onto their ranking', () => {
    expect(typeRanking('synergy')).toBe('magnitude')
    expect(typeRanking('strong_synergy')).toBe('magnitude')
    expect(typeRanking('suppressor')).toBe('-magnitude')
    expect(typeRanking('buffering')).toBe('-magnitude')
    expect(typeRanking('redundant')).toBe('-magnitude')
    expect(typeRanking('neomorphic')).toBe('score')
    expect(typeRanking('epistasis')).toBe('score')
  })
})
