import { describe, expect, it } from 'vitest'
import { trainSetupSchema, type DatasetSummary } from '../../../src-shared/contract'
import { estimateTraining, hiddenCostFactor, type EpochSample } from './estimate'

// Only the fields the estimate reads.
const ds = { cells: 80_000, controlCells: 10_000, genes: 5_000, singles: 100, combos: 130 } as DatasetSummary
const setup = (hidden: number) => trainSetupSchema.parse({ datasetId: 1, model: 'gears', hidden, epochs: 20 })
const earlier = (hidden: number): EpochSample => ({ model: 'gears', backend: 'wasm', seconds: 25, trainConditions: 120, genes: 5_000, hidden })

describe('estimateTraining', () => {
  it('scales an earlier run to this setup’s hidden size, with the H² cost of the recovery MLP', () => {
    // measured: 24–26 s per epoch at 64, 41–42 s at 96, 64–66 s at 128
    expect(hiddenCostFactor(64)).toBe(1)
    expect(25 * hiddenCostFactor(96)).toBeCloseTo(40.6, 1)
    expect(25 * hiddenCostFactor(128)).toBeCloseTo(62.5, 1)
    const same = estimateTraining(setup(64), ds, 'wasm', [earlier(64)])
    const wider = estimateTraining(setup(128), ds, 'wasm', [earlier(64)])
    expect(same.basis).toBe('history')
    expect(wider.secondsPerEpoch / same.secondsPerEpoch).toBeCloseTo(2.5, 1)
    expect(wider.note).toContain('hidden size')
    // an earlier run at this setup's own size is taken as it was
    expect(estimateTraining(setup(128), ds, 'wasm', [earlier(128)]).secondsPerEpoch).toBeCloseTo(same.secondsPerEpoch, 1)
  })

  it('without history, grows the rough figure with the hidden size too', () => {
    const a = estimateTraining(setup(64), ds, 'wasm', [])
    const b = estimateTraining(setup(96), ds, 'wasm', [])
    expect(a.basis).toBe('model')
    expect(b.secondsPerEpoch / a.secondsPerEpoch).toBeCloseTo(hiddenCostFactor(96), 1)
  })
})
