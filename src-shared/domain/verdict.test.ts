import { describe, expect, it } from 'vitest'
import { mulberry32 } from './random'
import { ADDS_NOTHING_TEXT, runVerdict, verdictText, type GroupVerdict } from './verdict'


/** n conditions `${prefix}i` with values base·(1 ± spread) */
function values(prefix: string, n: number, base: number, spread: number, seed: number): Record<string, number> {
  const rand = mulberry32(seed)
  const out: Record<string, number> = {}
  for (let i = 0; i < n; i++) out[`${prefix}${i}`] = base * (1 + spread * (2 * rand() - 1))
  return out
}

function scale(v: Record<string, number>, f: (x: number, c: string) => number): Record<string, number> {
  return Object.fromEntries(Object.entries(v).map(([c, x]) => [c, f(x, c)]))
}

function groupsOf(v: Record<string, number>, group: string): Record<string, string> {
  return Object.fromEntries(Object.keys(v).map((c) => [c, group]))
}

describe('verdict text', () => {
  const base: Omit<GroupVerdict, 'call' | 'ratio' | 'lo' | 'hi' | 'text'> = { best_baseline: 'additive', n: 30 }

  it('writes whole percentages for better and worse, and the ratio for no better', () => {
    expect(verdictText({ ...base, best_baseline: 'train_mean_self', call: 'better', ratio: 0.88, lo: 0.81, hi: 0.96, text: '' })).toBe(
      'better than train_mean_self by 12 % [4, 19]',
    )
    expect(verdictText({ ...base, call: 'no-better', ratio: 0.98, lo: 0.91, hi: 1.06, text: '' })).toBe('no better than additive (ratio 0.98 [0.91, 1.06])')
    expect(verdictText({ ...base, call: 'worse', ratio: 1.35, lo: 1.2, hi: 1.51, text: '' })).toBe('worse than additive by 35 % [20, 51]')
  })

  it('says when there are too few conditions', () => {
    expect(verdictText({ ...base, n: 1, call: 'no-better', ratio: 0.5, lo: 0.5, hi: 0.5, text: '' })).toBe('too few conditions to tell (n = 1)')
    expect(verdictText({ best_baseline: '', n: 0, call: 'no-better', ratio: NaN, lo: NaN, hi: NaN, text: '' })).toBe('too few conditions to tell (n = 0)')
  })

  it('exports the plain sentence for a network that adds nothing', () => {
    expect(ADDS_NOTHING_TEXT).toBe('The network adds nothing on this screen; predictions are the prior.')
  })
})

describe('runVerdict', () => {
  it('calls a clearly better model better, with an interval below 1', () => {
    const baseline = values('c', 40, 1, 0.5, 1)
    const model = scale(baseline, (x) => 0.8 * x) // 20 % lower on every condition
    const v = runVerdict({ model, baselines: { train_mean_self: baseline }, groups: groupsOf(model, 'unseen_single') })
    for (const key of ['overall', 'unseen_single']) {
      expect(v[key].call).toBe('better')
      expect(v[key].best_baseline).toBe('train_mean_self')
      expect(v[key].n).toBe(40)
      expect(v[key].ratio).toBeCloseTo(0.8, 12)
      // the ratio is the same on every resample
      expect(v[key].lo).toBeCloseTo(0.8, 12)
      expect(v[key].hi).toBeCloseTo(0.8, 12)
      expect(v[key].text).toBe('better than train_mean_self by 20 % [20, 20]')
    }
  })

  it('calls a clearly worse model worse', () => {
    const baseline = values('c', 40, 1, 0.5, 2)
    const rand = mulberry32(7)
    const model = scale(baseline, (x) => x * (1.5 + 0.4 * (rand() - 0.5)))
    const v = runVerdict({ model, baselines: { additive: baseline }, groups: groupsOf(model, 'combo_seen2') })
    const g = v.combo_seen2
    expect(g.call).toBe('worse')
    expect(g.lo).toBeGreaterThan(1)
    expect(g.lo).toBeLessThanOrEqual(g.ratio)
    expect(g.hi).toBeGreaterThanOrEqual(g.ratio)
    expect(g.text).toMatch(/^worse than additive by \d+ % \[\d+, \d+\]$/)
    expect(g.text).toBe(`worse than additive by ${Math.round((g.ratio - 1) * 100)} % [${Math.round((g.lo - 1) * 100)}, ${Math.round((g.hi - 1) * 100)}]`)
  })

  it('calls noise no better, with an interval around 1', () => {
    const baseline = values('c', 50, 1, 0.5, 3)
    const rand = mulberry32(11)
    // the model is as often much better as much worse: the mean ratio is near 1
    const model = scale(baseline, (x) => x * (rand() < 0.5 ? 0.5 : 1.5))
    const g = runVerdict({ model, baselines: { additive: baseline }, groups: groupsOf(model, 'combo_seen2') }).combo_seen2
    expect(g.call).toBe('no-better')
    expect(g.lo).toBeLessThan(1)
    expect(g.hi).toBeGreaterThan(1)
    expect(g.text).toBe(`no better than additive (ratio ${g.ratio.toFixed(2)} [${g.lo.toFixed(2)}, ${g.hi.toFixed(2)}])`)
  })

  it('calls a model equal to its baseline up to rounding no better, never "worse by 0 %"', () => {
    const baseline = values('c', 40, 1, 0.5, 5)
    // float32 noise a millionth above the baseline in every condition: the interval excludes 1, by nothing
    const model = scale(baseline, (x) => x * (1 + 1e-6))
    const g = runVerdict({ model, baselines: { knowledge_prior: baseline }, groups: groupsOf(model, 'unseen_single') }).unseen_single
    expect(g.lo).toBeGreaterThan(1)
    expect(g.call).toBe('no-better')
    expect(g.text).toBe('no better than knowledge_prior (ratio 1.00 [1.00, 1.00])')
  })

  it('is deterministic for a seed and varies with it', () => {
    const baseline = values('c', 30, 1, 0.8, 4)
    const model = values('c', 30, 1, 0.8, 5)
    const input = { model, baselines: { additive: baseline }, groups: groupsOf(model, 'g') }
    const a = runVerdict({ ...input, seed: 3 })
    const b = runVerdict({ ...input, seed: 3 })
    const c = runVerdict({ ...input, seed: 4 })
    expect(b).toEqual(a)
    expect(c.g.ratio).toBe(a.g.ratio)
    expect([c.g.lo, c.g.hi]).not.toEqual([a.g.lo, a.g.hi])
    // default seed and draws are fixed too
    expect(runVerdict(input)).toEqual(runVerdict({ ...input, seed: 1, draws: 2000 }))
    // the order the records were filled in does not matter
    const reversed = Object.fromEntries(Object.entries(model).reverse())
    expect(runVerdict({ ...input, model: reversed, seed: 3 })).toEqual(a)
  })

  it('chooses the best baseline per group over the conditions the model has', () => {
    const model = { s1: 1, s2: 1.1, s3: 0.9, p1: 1, p2: 1.2, p3: 0.8 }
    const groups = { s1: 'unseen_single', s2: 'unseen_single', s3: 'unseen_single', p1: 'combo_seen2', p2: 'combo_seen2', p3: 'combo_seen2' }
    const baselines = {
      // best on singles, poor on pairs
      train_mean: { s1: 0.5, s2: 0.5, s3: 0.5, p1: 4, p2: 4, p3: 4 },
      // best on pairs; its low value on a condition the model lacks does not count
      additive: { s1: 3, s2: 3, s3: 3, p1: 0.6, p2: 0.6, p3: 0.6, extra: 0 },
      // ties with additive on pairs but comes later: not chosen
      additive_copy: { p1: 0.6, p2: 0.6, p3: 0.6 },
    }
    const v = runVerdict({ model, baselines, groups: { ...groups, extra: 'combo_seen2' } })
    expect(v.unseen_single.best_baseline).toBe('train_mean')
    expect(v.unseen_single.ratio).toBeCloseTo(1 / 0.5, 12)
    expect(v.unseen_single.call).toBe('worse')
    expect(v.combo_seen2.best_baseline).toBe('additive')
    expect(v.combo_seen2.n).toBe(3)
    expect(v.combo_seen2.ratio).toBeCloseTo(1 / 0.6, 12)
    // overall: train_mean 2.25 vs additive 1.8 over the six conditions; additive_copy's 0.6 is
    // over three of them only, so it does not compete
    expect(v.overall.best_baseline).toBe('additive')
    expect(v.overall.n).toBe(6)
    expect(Object.keys(v).sort()).toEqual(['combo_seen2', 'overall', 'unseen_single'])
  })

  it('lets a baseline that covers fewer conditions compete only when none covers more', () => {
    const model = { a: 1, b: 1, c: 1 }
    const groups = { a: 'g', b: 'g', c: 'g' }
    const partial = { a: 0.1, b: 0.1 }
    const full = { a: 2, b: 2, c: 2 }
    expect(runVerdict({ model, baselines: { partial, full }, groups }).g).toMatchObject({ best_baseline: 'full', n: 3, ratio: 0.5 })
    expect(runVerdict({ model, baselines: { partial }, groups }).g).toMatchObject({ best_baseline: 'partial', n: 2, call: 'worse' })
  })

  it('says too few conditions where a group has one paired condition or no baseline value', () => {
    const model = { a: 1, b: 2, c: 3, d: 4, e: NaN }
    const groups = { a: 'unseen_single', b: 'unseen_single', c: 'combo_seen1', d: 'combo_seen0', e: 'combo_seen2' }
    const baselines = { additive: { a: 2, b: 4, c: 6, e: 1 }, train_mean: { a: 3, b: 5, d: Infinity } }
    const v = runVerdict({ model, baselines, groups })
    expect(v.unseen_single).toMatchObject({ best_baseline: 'additive', n: 2, ratio: 0.5 })

    expect(v.combo_seen1).toMatchObject({ best_baseline: 'additive', n: 1, ratio: 0.5, lo: 0.5, hi: 0.5, call: 'no-better' })
    expect(v.combo_seen1.text).toBe('too few conditions to tell (n = 1)')

    // d: only a non-finite baseline value; e: the model has no value
    for (const key of ['combo_seen0', 'combo_seen2']) {
      expect(v[key]).toMatchObject({ best_baseline: '', n: 0, call: 'no-better' })
      expect(v[key].ratio).toBeNaN()
      expect(v[key].text).toBe('too few conditions to tell (n = 0)')
    }
    expect(v.overall).toMatchObject({ best_baseline: 'additive', n: 3 })
  })

  it('answers with only an overall verdict when there are no conditions', () => {
    const v = runVerdict({ model: {}, baselines: {}, groups: {} })
    expect(Object.keys(v)).toEqual(['overall'])
    expect(v.overall.n).toBe(0)
    expect(v.overall.text).toBe('too few conditions to tell (n = 0)')
  })
})
