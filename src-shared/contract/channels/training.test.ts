import { describe, expect, it } from 'vitest'
import { defaultHidden, trainSetupSchema } from './training'

describe('trainSetupSchema: the hidden size', () => {
  it('fills in the model’s own default when the setup leaves it out', () => {
    // GEARS' width was chosen on validation; BioDSNN keeps model.md §4's d_model 64.
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
})
