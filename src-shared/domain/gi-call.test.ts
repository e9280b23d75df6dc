import { describe, expect, it } from 'vitest'
import { GI_TYPES, type GiScores } from '../contract/channels/design'
import { callGi, compareCalls, giConfidence, giVerdict, GI_PRECEDENCE } from './gi-call'
import { giThresholds } from './gi-thresholds'

const t = giThresholds()
const R = Math.SQRT2
/** A linear, well-explained pair of distinct singles at `rel` × the additive magnitude; `over` changes scores. */
const scores = (rel: number, over: Partial<GiScores> = {}) => ({ mag: rel * R, corr_fit: 0.97, dcor: 0.9, dcor_singles: 0.2, dominance: 0.05, singles_cos: 0.3, genes: 211, ...over })

describe('giVerdict: one primary call per pair', () => {
  it('reaches every call, each with the rule that decided it and its numbers', () => {
    const cases: [ReturnType<typeof scores>, string, RegExp][] = [
      [scores(1.52), 'synergy', /^synergy: combined effect 1\.52× the sum of the singles \(synergy above 1\.30×\)$/],
      [scores(0.5), 'suppression', /^suppression: combined effect 0\.50× the sum of the singles \(suppression below 0\.70×\)/],
      [scores(1.0), 'additive', /^additive: combined effect 1\.00× the sum of the singles \(additive within 0\.70×–1\.30×\)/],
      [scores(1.0, { corr_fit: 0.6 }), 'neomorphic', /^neomorphic: the singles explain the pair poorly \(fit correlation 0\.60, below 0\.85\)/],
      [scores(1.0, { dcor: 0.95, dcor_singles: 0.9 }), 'redundant', /^redundant: both genes do the same thing \(singles alike: dCor 0\.90 > 0\.8/],
      [scores(1.0, { dominance: 0.6 }), 'epistasis', /^epistasis: one gene dominates the pair \(dominance 0\.60, above 0\.25\)/],
    ]
    const reached = new Set<string>()
    for (const [s, type, rule] of cases) {
      const v = giVerdict(s, t)
      expect(v.type).toBe(type)
      expect(v.rule).toMatch(rule)
      reached.add(v.type)
    }
    expect([...reached].sort()).toEqual([...GI_TYPES].sort())
    expect([...GI_PRECEDENCE].sort()).toEqual([...GI_TYPES].sort())
  })

  it('follows the precedence neomorphic > redundant > epistasis > magnitude, listing the rest as secondary', () => {
    // The pair: weaker than additive yet within the band, redundant and dominated at once.
    const all = scores(0.8, { dcor: 0.95, dcor_singles: 0.9, dominance: 0.5 })
    const v = giVerdict(all, t)
    expect(v.type).toBe('redundant')
    expect(v.secondary.map((c) => c.type)).toEqual(['epistasis', 'additive'])
    // §9's "suppression" (mag/ref < 1) and "additive" (within the band) are never both shown.
    expect(v.secondary.map((c) => c.type)).not.toContain('suppression')
    expect(giVerdict({ ...all, corr_fit: 0.5 }, t).type).toBe('neomorphic')
    expect(giVerdict({ ...all, corr_fit: 0.5 }, t).secondary.map((c) => c.type)).toEqual(['redundant', 'epistasis', 'additive'])
    expect(giVerdict({ ...all, dcor_singles: 0.3 }, t).type).toBe('epistasis')
    expect(giVerdict({ ...all, dcor_singles: 0.3, dominance: 0.1 }, t).type).toBe('additive')
    expect(giVerdict({ ...all, dcor_singles: 0.3, dominance: 0.1 }, t).secondary).toEqual([])
    // A perfectly additive pair is additive only, not "synergy" by a rounding hair.
    expect(giVerdict(scores(1 + 1e-9), t).secondary).toEqual([])
  })

  it('calls synergy strong only where the strong threshold lies above the additive band', () => {
    // By default strongSynergy 1.15 < 1 + additiveBand 1.3: every synergy would be "strong", so none is.
    expect(giVerdict(scores(1.6), t).label).toBe('synergy')
    const tight = giThresholds({ additiveBand: 0.1, strongSynergy: 1.5 })
    expect(giVerdict(scores(1.6), tight).label).toBe('strong synergy')
    expect(giVerdict(scores(1.6), tight).rule).toBe('strong synergy: combined effect 1.60× the sum of the singles (synergy above 1.10×, strong above 1.50×)')
    expect(giVerdict(scores(1.3), tight).label).toBe('synergy')
  })

  it('moves with the thresholds the map was scored with', () => {
    expect(giVerdict(scores(1.2), t).type).toBe('additive')
    expect(giVerdict(scores(1.2), giThresholds({ additiveBand: 0.1 })).type).toBe('synergy')
    expect(giVerdict(scores(1.2), giThresholds({ additiveBand: 0.1 })).rule).toContain('synergy above 1.10×')
  })

  it('warns (⚠) only when the call rests on c1 and c2 and the singles are nearly collinear, saying why and what to do', () => {
    const collinear = { singles_cos: 0.98 }
    const syn = giVerdict(scores(1.6, collinear), t)
    expect(syn.warning).toMatch(/^⚠ Not reliable: the two singles change the same genes in the same direction \(cosine 0\.98 over 211 genes, beyond ±0\.95\)/)
    expect(syn.warning).toMatch(/What to do: treat this synergy call as unknown; measure the two singles and the pair/)
    expect(giVerdict(scores(1.0, { singles_cos: -0.97, dominance: 0.7 }), t).warning).toMatch(/opposite directions.*dominance \(0\.70\)/)
    // Redundancy means singles alike, and corr_fit reads the fitted values: no ⚠ for those calls.
    expect(giVerdict(scores(1.0, { ...collinear, dcor: 0.95, dcor_singles: 0.95 }), t).warning).toBeNull()
    expect(giVerdict(scores(1.0, { ...collinear, corr_fit: 0.5 }), t).warning).toBeNull()
    expect(giVerdict(scores(1.6, { singles_cos: 0.9 }), t).warning).toBeNull()
    // Scores stored before singles_cos existed carry no warning rather than a false one.
    const { singles_cos: _, ...old } = scores(1.6)
    expect(giVerdict(old, t).warning).toBeNull()
  })
})

describe('compareCalls: predicted beside observed', () => {
  it('says in words when prediction and measurement disagree, and when they agree', () => {
    const c = compareCalls(giVerdict(scores(1.0), t), giVerdict(scores(1.52), t))
    expect(c.agree).toBe(false)
    expect(c.text).toBe(
      'Prediction and measurement disagree: the model predicts additive (1.00× the sum of the singles), the measured cells show synergy (1.52×). Trust the measurement for this pair, and read the model’s calls for similar unmeasured pairs with care.',
    )
    // a call not read from the strength is named without it
    const neo = compareCalls(giVerdict(scores(1.0), t), giVerdict(scores(0.49, { corr_fit: 0.78 }), t))
    expect(neo.agree).toBe(false)
    expect(neo.text).toMatch(/^Prediction and measurement disagree: the model predicts additive, the measured cells show neomorphic\. /)
    const same = compareCalls(giVerdict(scores(1.4), t), giVerdict(scores(1.52), t))
    expect(same).toEqual({ agree: true, text: 'Prediction and measurement agree: predicted synergy (1.40× the sum of the singles), measured synergy (1.52×).' })
    expect(compareCalls(giVerdict(scores(1.0, { dominance: 0.5 }), t), giVerdict(scores(0.6, { dominance: 0.9 }), t)).text).toBe('Prediction and measurement agree: epistasis.')
  })
})

describe('giConfidence', () => {
  it('is high with both genes seen, lower with fewer, low with a ⚠', () => {
    const v = giVerdict(scores(1.6), t)
    expect(giConfidence(2, v).level).toBe('high')
    expect(giConfidence(1, v).level).toBe('medium')
    expect(giConfidence(0, v).level).toBe('low')
    expect(giConfidence(2, giVerdict(scores(1.6, { singles_cos: 0.99 }), t))).toEqual({ level: 'low', reason: expect.stringContaining('⚠') })
    expect(giConfidence(2, null).level).toBe('low')
  })
})

describe('GI type calls', () => {
  // scores of a plain pair at magnitude `mag`
  const scores = (mag: number, extra: Partial<{ corr_fit: number; dcor: number; dcor_singles: number; dominance: number }> = {}) => ({ mag, corr_fit: 0.97, dcor: 0.95, dcor_singles: 0.2, dominance: 0.05, ...extra })
  const t = giThresholds()

  it('calls c1 = c2 = 1 additive (mag = √2 is the reference), and reads §9 literally when the reference is 1', () => {
    expect(callGi(scores(Math.SQRT2), t)).toEqual({ type: 'additive', criteria: ['additive'] })
    const literal = callGi(scores(Math.SQRT2), giThresholds({ magReference: 1 }))
    expect(literal.type).toBe('synergy')
    expect(literal.criteria).toEqual(['synergy', 'strong-synergy'])
  })

  it('calls by magnitude outside the additive band, and lets neomorphic, redundant and epistasis win in that order', () => {
    expect(callGi(scores(2.5), t).type).toBe('synergy')
    expect(callGi(scores(0.6), t).type).toBe('suppression')
    expect(callGi(scores(0.7, { dcor_singles: 0.9, dominance: 0.4 }), t).type).toBe('redundant')
    expect(callGi(scores(1, { dominance: 1.2 }), t).type).toBe('epistasis')
    expect(callGi(scores(1.4, { corr_fit: 0.6, dominance: 1.2, dcor_singles: 0.9 }), t).type).toBe('neomorphic')
    // dcor alone (high for any linear pair) does not make a pair redundant
    expect(callGi(scores(0.7, { dcor: 0.99, dcor_singles: 0.3 }), t).type).toBe('suppression')
  })

  it('flags fits whose singles are nearly collinear either way, and leaves scores stored without singles_cos unflagged', () => {
    expect(callGi({ ...scores(2.5), singles_cos: 0.97 }, t)).toEqual({ type: 'synergy', criteria: ['synergy', 'strong-synergy'], illDetermined: true })
    expect(callGi({ ...scores(2.5), singles_cos: -0.97 }, t).illDetermined).toBe(true)
    expect(callGi({ ...scores(2.5), singles_cos: 0.9 }, t).illDetermined).toBe(false)
    expect(callGi({ ...scores(2.5), singles_cos: 0.9 }, giThresholds({ collinearSingles: 0.85 })).illDetermined).toBe(true)
    expect(callGi(scores(2.5), t)).not.toHaveProperty('illDetermined')
  })
})
