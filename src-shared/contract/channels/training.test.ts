import { describe, expect, it } from 'vitest'
import { defaultHidden } from '../../domain/train-defaults'
import { trainSetupSchema } from './training'

describe('trainSetupSchema: the hidden size', () => {
  it('fills in the model’s own default when the setup leaves it out', () => {
    // GEARS' width was chosen on validation; BioDSNN keeps docs/ml-engine.md §4's d_model 64.
    expect(trainSetupSchema.parse({ datasetId: 1, model: 'gears' }).hidden).toBe(defaultHidden('gears'))
    expect(defaultHidden('gears')).toBeGreaterThan(64)
    for (const model of ['biodsnn', 'biodsnn-no-vae', 'biodsnn-no-attention', 'biodsnn-no-mask'] as const) {
      expect(trainSetupSchema.parse({ datasetId: 1, model }).hidden).toBe(64)
    }
  })

  it('keeps a size the user chose, and still refuses an odd one', () => {
    expect(trainSetupSchema.parse({ datasetId: 1, model: 'gears', hidden: 32 }).hidden).toBe(32)
    expect(trainSetupSchema.safeParse({ datasetId: 1, model: 'biodsnn', hidden: 63 }).success).toBe(false)
  })

  it('says what a hidden size must be, not "must be a number", for 0, 1, 2000 and 2.5', () => {
    for (const hidden of [0, 1, 63, 2000, 2.5]) {
      const r = trainSetupSchema.safeParse({ datasetId: 1, model: 'gears', hidden })
      expect(r.success, String(hidden)).toBe(false)
      expect(r.error?.issues[0].message, String(hidden)).toMatch(/must be an even whole number from 2 to 1024/)
    }
    expect(trainSetupSchema.safeParse({ datasetId: 1, model: 'gears', hidden: 'x' }).error?.issues[0].message).toMatch(/must be a number/)
    expect(trainSetupSchema.safeParse({ datasetId: 1, model: 'gears', cellsPerCondition: 2_000_000 }).error?.issues[0].message).not.toMatch(/must be a number/)
  })
})
