import { describe, expect, it } from 'vitest'
import { resolveWorkerScript } from '../../ml/worker-script'
import { PredictEngine } from './predict-engine'

describe('prediction engine', () => {
  it('starts one worker for requests that arrive while its script is still being prepared', async () => {
    // The first use after an update bundles the worker script (seconds); a second worker started
    // meanwhile was orphaned, and the CLI printed its result but never exited.
    let starts = 0
    const engine = new PredictEngine({
      script: async () => {
        starts++
        await new Promise((r) => setTimeout(r, 200))
        return resolveWorkerScript()
      },
    })
    const payload = async (): Promise<never> => {
      throw new Error('no model in this test')
    }
    const results = await Promise.allSettled([engine.load('a', payload), engine.load('a', payload)])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    expect(starts).toBe(1)
    await engine.close()
  }, 60_000)
})
