import { describe, expect, it } from 'vitest'
import type { RunRecord } from '../../db/runs-repo'
import type { Metrics } from '../../ml/engine-types'
import { comparison, sameConditions, splitKey } from './run-views'

const m = (mse_de: number, pearson_delta: number): Metrics => ({
  mse: 0,
  pearson: 0,
  mse_de,
  pearson_de: 0,
  pearson_delta,
  pearson_delta_de: 0,
  pearson_delta_centroid: 0,
  frac_opposite_direction_top20_non_dropout: 0,
  mse_top20_de_non_dropout: 0,
  frac_in_range_45_55: 0,
})

function run(id: number, model: string, kind: 'model' | 'baseline', perCondition: Record<string, Metrics>): RunRecord {
  const names = Object.keys(perCondition)
  const mean = (k: keyof Metrics) => names.reduce((a, c) => a + perCondition[c][k], 0) / names.length
  const overall = { ...m(mean('mse_de'), mean('pearson_delta')), n: names.length, mse_de_norm: 1 }
  return {
    id,
    projectId: 1,
    datasetId: 1,
    model,
    kind,
    name: null,
    config: { split: { kind: 'simulation', seed: 1 }, seed: 1, epochs: 1 } as RunRecord['config'],
    status: 'completed',
    error: null,
    errorCode: null,
    backend: null,
    selection: null,
    pertGraph: null,
    bestEpoch: 1,
    test: { overall, groups: { unseen_single: overall }, perCondition },
    splitKey: 'k',
    split: { config: { kind: 'simulation', seed: 1 }, train: [], val: [], test: names, testGroups: { A: 'unseen_single', B: 'unseen_single', C: 'combo_seen0' }, seenGenes: [] },
    owner: null,
    heartbeatAt: null,
    createdAt: '',
    startedAt: null,
    finishedAt: null,
    epochsDone: 1,
    hasCheckpoint: true,
  }
}

describe('run comparison', () => {
  it('scores added baselines on the test conditions the model could predict, normalised by no_perturb on them', () => {
    const model = run(10, 'gears', 'model', { A: m(1, 0.5), B: m(3, 0.7) })
    const noPerturb = run(1, 'no_perturb', 'baseline', { A: m(2, NaN), B: m(6, NaN), C: m(100, NaN) })
    const trainMean = run(2, 'train_mean', 'baseline', { A: m(1, 0.1), B: m(2, 0.3), C: m(50, 0.9) })
    const [np, tm] = sameConditions([model], [noPerturb, trainMean])
    expect(tm.restrictedTo).toBe(2)
    expect(tm.test!.overall).toMatchObject({ n: 2, mse_de: 1.5, pearson_delta: 0.2, mse_de_norm: 1.5 / 4 })
    expect(tm.test!.groups).toEqual({ unseen_single: expect.objectContaining({ n: 2 }) })
    expect(np.test!.overall.mse_de_norm).toBe(1)
    const cmp = comparison([model], [np, tm])
    expect(cmp.runs.map((r) => [r.model, r.added, r.restrictedTo])).toEqual([['gears', false, undefined], ['no_perturb', true, 2], ['train_mean', true, 2]])
    expect(cmp.rows.find((r) => r.runId === 2 && r.group === 'overall')).toMatchObject({ n: 2, mse_de: 1.5 })
    // Baselines that predicted exactly the model's conditions are left as they are.
    const same = run(3, 'additive', 'baseline', { A: m(1, 0), B: m(1, 0) })
    expect(sameConditions([model], [same])[0]).toBe(same)
  })

  it('names a split by kind, seed and assignment, whatever the assignment’s key order', () => {
    expect(splitKey({ kind: 'custom', seed: 1, assignment: { B: 'test', A: 'train' } })).toBe(splitKey({ kind: 'custom', seed: 1, assignment: { A: 'train', B: 'test' } }))
    expect(splitKey({ kind: 'simulation', seed: 1 })).not.toBe(splitKey({ kind: 'simulation', seed: 2 }))
  })
})
