import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from './backend'
import { defaultTrainConfig } from './config'
import { BASELINE_NAMES, type TrainingData } from './engine-types'
import { train } from './trainer'
import { tinyScreen } from './test-data'

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' })
})

describe('train: baselines', () => {
  const data = tinyScreen({ singles: 10, pairs: 14, genes: 30 })

  it.each(BASELINE_NAMES)('fits %s in closed form and evaluates it on the test split', async (name) => {
    const r = await train(data, defaultTrainConfig(name))
    expect(r.backend.backend).toBe('wasm')
    expect(r.epochs).toEqual([])
    expect(r.params).toBeUndefined()
    expect(r.fitted!.train_mean_delta).toHaveLength(30)
    expect(r.test.overall.n).toBe(r.split.test.length)
    expect(Object.keys(r.test.perCondition).sort()).toEqual([...r.split.test].sort())
    if (name === 'no_perturb') expect(r.test.overall.mse_de_norm).toBeCloseTo(1, 12)
    else expect(r.test.overall.mse_de_norm).toBeLessThan(1)
  })

  it('on this additive screen, additive beats train_mean on seen-2 pairs', async () => {
    const [add, tm] = await Promise.all([train(data, defaultTrainConfig('additive')), train(data, defaultTrainConfig('train_mean'))])
    expect(add.test.groups.combo_seen2!.mse_de).toBeLessThan(tm.test.groups.combo_seen2!.mse_de)
  })
})

describe('train: bad input', () => {
  const data = tinyScreen()
  const withoutControls = (): TrainingData => ({ ...data, conditions: data.conditions.filter((c) => c.condition !== 'ctrl') })

  it.each([
    ['epochs 0', data, { epochs: 0 }, 'train.invalid-epochs'],
    ['an unknown model', data, { model: 'gpt' as never }, 'train.unknown-model'],
    ['no control cells', withoutControls(), {}, 'train.no-control-cells'],
    ['a single condition', { ...data, conditions: data.conditions.slice(0, 2) }, {}, 'train.single-condition'],
  ])('refuses %s with a clear error', async (_what, d, overrides, code) => {
    await expect(train(d as TrainingData, defaultTrainConfig('train_mean', overrides))).rejects.toMatchObject({ code })
  })
})
