import { describe, expect, it } from 'vitest'
import { COMPARE_GROUPS, MODEL_PRIORS, RUN_METRICS, SPLIT_KINDS, TRAIN_BASELINES } from '../contract'
import { explain, GLOSSARY, glossaryEntry, higherIsBetter } from './glossary'

describe('glossary', () => {
  it('explains every metric the engine reports (METRIC_NAMES is RUN_METRICS), with the direction that is better', () => {
    for (const m of [...RUN_METRICS, 'mse_de_norm'] as const) {
      const e = glossaryEntry(m)
      expect(e, m).toBeDefined()
      expect(e!.better, m).toMatch(/^(higher|lower)$/)
      expect(e!.short.length, m).toBeGreaterThan(30)
    }
    expect(higherIsBetter('pearson_delta')).toBe(true)
    expect(higherIsBetter('mse_de')).toBe(false)
    expect(higherIsBetter('frac_opposite_direction_top20_non_dropout')).toBe(false)
    expect(higherIsBetter('frac_in_range_45_55')).toBe(true)
  })

  it('explains every baseline, test group, split kind and the setup options', () => {
    const terms = [...TRAIN_BASELINES, ...COMPARE_GROUPS, ...SPLIT_KINDS.filter((s) => s !== 'custom'), 'custom', 'split seed', 'conditions per step', 'self-effect link', 'pert graph', 'backend', 'seed', 'epochs']
    for (const t of terms) expect(explain(t), t).not.toBe('')
    expect(MODEL_PRIORS.length).toBeGreaterThan(0)
    expect(explain('prior')).toContain('knowledge prior')
  })

  it('has one entry per term, each a single line in plain words', () => {
    const seen = new Set<string>()
    for (const e of GLOSSARY) {
      expect(seen.has(e.term.toLowerCase()), e.term).toBe(false)
      seen.add(e.term.toLowerCase())
      expect(e.short, e.term).not.toMatch(/\n/)
      expect(e.plain.length, e.term).toBeGreaterThan(0)
    }
  })

  it('finds terms case-insensitively and answers nothing for unknown words', () => {
    expect(glossaryEntry('MSE_DE')?.term).toBe('mse_de')
    expect(explain('mse_de')).toMatch(/^mse_de — error on the top-20 changed genes\. /)
    expect(explain('no-such-term')).toBe('')
  })
})
