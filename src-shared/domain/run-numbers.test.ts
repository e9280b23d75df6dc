import { describe, expect, it } from 'vitest'
import { baselineOwners, numberRuns, type RunKey } from './run-numbers'

const split = { kind: 'simulation' as const, seed: 1 }
const run = (id: number, kind: 'model' | 'baseline', datasetId = 1, s: RunKey['split'] = split): RunKey => ({ id, kind, datasetId, split: s })

describe('run numbers', () => {
  it('numbers a project’s model runs from 1 although baselines took the first ids', () => {
    const runs = [run(1, 'baseline'), run(2, 'baseline'), run(3, 'baseline'), run(4, 'baseline'), run(5, 'model'), run(9, 'model')]
    expect([...numberRuns(runs)]).toEqual([
      [5, 1],
      [9, 2],
    ])
    // newest-first lists (as run:list answers) number the same
    expect(numberRuns([...runs].reverse()).get(9)).toBe(2)
  })

  it('attaches each baseline to the model run fitted after it on the same dataset and split', () => {
    const other = { kind: 'single' as const, seed: 2 }
    const runs = [run(1, 'baseline'), run(2, 'baseline'), run(3, 'model'), run(4, 'model'), run(5, 'baseline', 1, other), run(6, 'model', 1, other), run(7, 'baseline', 2)]
    const owners = baselineOwners(runs)
    expect(owners.get(1)).toBe(3)
    expect(owners.get(2)).toBe(3)
    expect(owners.get(5)).toBe(6)
    // a baseline no model run of its dataset and split claims stays on its own
    expect(owners.has(7)).toBe(false)
    // a baseline refitted after its model (a resumed split) goes to the last model of that split
    expect(baselineOwners([run(3, 'model'), run(8, 'baseline')]).get(8)).toBe(3)
  })
})
