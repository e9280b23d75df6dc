import { describe, expect, it } from 'vitest'
import { trainSetupSchema, type DatasetSummary } from '../../../src-shared/contract'
import { cellsCostFactor, estimateTraining, hiddenCostFactor, workersTimeFactor, type EpochSample } from './estimate'

// Only the fields the estimate reads.
const ds = { cells: 80_000, controlCells: 10_000, genes: 5_000, singles: 100, combos: 130 } as DatasetSummary
const setup = (hidden: number, cellsPerCondition: number | 'all' = 32) => trainSetupSchema.parse({ datasetId: 1, model: 'gears', hidden, epochs: 20, cellsPerCondition })
const earlier = (hidden: number, cellsPerCondition = 32, workers = 1): EpochSample => ({ model: 'gears', backend: 'wasm', seconds: 25, trainConditions: 120, genes: 5_000, hidden, cellsPerCondition, workers })

describe('estimateTraining', () => {
  it('includes the folds of cross-validation for a residual run on a small screen, and says so', () => {
    const small = { ...ds, singles: 25, combos: 0 } as DatasetSummary
    const residual = estimateTraining(trainSetupSchema.parse({ datasetId: 1, model: 'gears', epochs: 20, split: { kind: 'single', seed: 1 } }), small, 'wasm', [])
    const published = estimateTraining(trainSetupSchema.parse({ datasetId: 1, model: 'gears', epochs: 20, split: { kind: 'single', seed: 1 }, prior: 'none' }), small, 'wasm', [])
    expect(residual.crossValidationFolds).toBe(5)
    expect(published.crossValidationFolds).toBeNull()
    expect(residual.seconds / published.seconds).toBeCloseTo(6, 1)
    expect(residual.note).toMatch(/5-fold cross-validation/)
    // norman-like's 100 genes choose on the validation split: no folds
    expect(estimateTraining(setup(96), ds, 'wasm', []).crossValidationFolds).toBeNull()
  })

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

  it('scales an earlier run to this setup’s cells per condition, by what they add to the per-condition work', () => {
    // 70,000 perturbed cells over 230 conditions: ~304 each. Measured (GEARS, norman-like): 32.5 s
    // per epoch at 32 cells, ~41 s over all of them; the square root of the cell ratio said 3×.
    const all = estimateTraining(setup(96, 'all'), ds, 'wasm', [earlier(96, 32)])
    const same = estimateTraining(setup(96, 32), ds, 'wasm', [earlier(96, 32)])
    expect(all.secondsPerEpoch / same.secondsPerEpoch).toBeCloseTo(cellsCostFactor(70_000 / 230), 2)
    expect(all.secondsPerEpoch / same.secondsPerEpoch).toBeGreaterThan(1.2)
    expect(all.secondsPerEpoch / same.secondsPerEpoch).toBeLessThan(1.35)
    // and back: a run over all cells makes the 32-cell estimate smaller, not the same
    const back = estimateTraining(setup(96, 32), ds, 'wasm', [earlier(96, 70_000 / 230)])
    expect(back.secondsPerEpoch / same.secondsPerEpoch).toBeCloseTo(1 / cellsCostFactor(70_000 / 230), 2)
    // the rough model-based figure uses the same factor
    const roughAll = estimateTraining(setup(96, 'all'), ds, 'wasm', [])
    const rough32 = estimateTraining(setup(96, 32), ds, 'wasm', [])
    expect(roughAll.secondsPerEpoch / rough32.secondsPerEpoch).toBeCloseTo(cellsCostFactor(70_000 / 230), 2)
  })

  it('splits the time over the worker threads on a one-core backend, and the memory grows by a model per worker', () => {
    const one = estimateTraining({ ...setup(96), workers: 1 }, ds, 'wasm', [], 2)
    const two = estimateTraining({ ...setup(96), workers: 2 }, ds, 'wasm', [], 2)
    expect(two.secondsPerEpoch / one.secondsPerEpoch).toBeCloseTo(workersTimeFactor(2, 'wasm', 2), 1)
    expect(two.secondsPerEpoch).toBeLessThan(one.secondsPerEpoch)
    expect(two.memoryMb).toBeGreaterThan(one.memoryMb)
    expect(two.note).toMatch(/split over 2 worker threads/)
    // A GPU backend computes on its device: the worker count changes nothing.
    expect(estimateTraining({ ...setup(96), workers: 2 }, ds, 'webgpu', [], 2).secondsPerEpoch).toBe(estimateTraining({ ...setup(96), workers: 1 }, ds, 'webgpu', [], 2).secondsPerEpoch)
    // Workers beyond the cores add nothing; an earlier 2-worker epoch scales back to one worker.
    expect(workersTimeFactor(8, 'wasm', 2)).toBe(workersTimeFactor(2, 'wasm', 2))
    const fromTwo = estimateTraining({ ...setup(64), workers: 1 }, ds, 'wasm', [earlier(64, 32, 2)], 2)
    expect(fromTwo.secondsPerEpoch).toBeCloseTo(estimateTraining({ ...setup(64), workers: 1 }, ds, 'wasm', [earlier(64)], 2).secondsPerEpoch / workersTimeFactor(2, 'wasm', 2), 0)
  })
})
