import { describe, expect, it } from 'vitest'
import { callGi, designChannels, giThresholds } from './design'

const scores = (mag: number, extra: Partial<{ corr_fit: number; dcor: number; dcor_singles: number; dominance: number }> = {}) => ({ mag, corr_fit: 0.97, dcor: 0.95, dcor_singles: 0.2, dominance: 0.05, ...extra })

describe('GI type calls', () => {
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

describe('design inputs', () => {
  it('splits pasted genes on commas, spaces and lines', () => {
    const r = designChannels['design:map'].input.parse({ runId: 1, genes: 'A, B;C\n D\tE' })
    expect(r.genes).toEqual(['A', 'B', 'C', 'D', 'E'])
    expect(r).toMatchObject({ scope: 'placed', maxUncertainty: 'auto', confirm: false })
  })

  it('refuses unknown thresholds and a signature of the wrong shape', () => {
    expect(designChannels['design:map'].input.safeParse({ runId: 1, genes: 'A,B', thresholds: { magic: 1 } }).success).toBe(false)
    expect(designChannels['design:search'].input.safeParse({ runId: 1, signature: { genes: ['A'] } }).success).toBe(false)
    expect(designChannels['design:search'].input.parse({ runId: 1, signature: { up: ['A'] } }).signature).toEqual({ up: ['A'], down: [] })
  })
})
