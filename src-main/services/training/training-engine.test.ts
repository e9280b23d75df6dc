/**
 * The real stack: app context, router, the bundled worker with the real trainer (GEARS on the
 * `small` synthetic screen), cancel and resume, and resume after the app was closed mid-run.
 */
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunDetail } from '../../../src-shared/contract'
import { createAppContext, type AppContext } from '../../app-context'
import { runCli } from '../../cli/main'
import { resolveWorkerScript } from '../../ml/worker-script'
import { call } from '../../test-support/app'
import { SHARED_DIR, tempHome } from '../../test-support/temp-home'

let home: ReturnType<typeof tempHome>
let datasetId: number

/** Resolves when `runId` reports an epoch ≥ `epoch` on this context's events. */
function untilEpoch(ctx: AppContext, runId: number, epoch: number): Promise<void> {
  return new Promise((resolve) => {
    const off = ctx.events.on('run:changed', (c) => {
      if (c.runId === runId && (c.epoch?.epoch ?? 0) >= epoch) {
        off()
        resolve()
      }
    })
  })
}

beforeAll(async () => {
  home = tempHome('ps-train-engine-')
  const file = path.join(home.dir, 'small.h5ad')
  const quiet = { stdout: () => undefined, stderr: () => undefined }
  expect(await runCli(['--home', home.dir, 'synth', '--preset', 'small', '--seed', '1', '--out', file, '--knowledge', path.join(SHARED_DIR, 'knowledge')], quiet)).toBe(0)
  expect(await runCli(['--home', home.dir, 'import', file, '--condition-column', 'condition', '--control-label', 'ctrl'], quiet)).toBe(0)
  datasetId = 1
  await resolveWorkerScript()
}, 120_000)

afterAll(() => home?.cleanup())

describe('training with the real engine', () => {
  it('trains GEARS, cancels after an epoch keeping the best checkpoint, then resumes it to the end', async () => {
    const ctx = createAppContext({ home: home.dir, transport: 'cli', log: () => undefined })
    try {
      const progress: number[] = []
      ctx.events.on('train:progress', () => progress.push(Date.now()))
      const { runId } = await call<{ runId: number }>(ctx, 'train:start', { datasetId, model: 'gears', epochs: 4, batchConditions: 4, prior: 'none' })
      await untilEpoch(ctx, runId, 1)
      await call(ctx, 'train:cancel', { runId })
      const cancelled = await ctx.services.training.waitFor(runId)
      expect(cancelled.status).toBe('cancelled')
      expect(cancelled.epochsDone).toBeGreaterThanOrEqual(1)
      expect(cancelled.epochsDone).toBeLessThan(4)
      const atCancel = await call<RunDetail>(ctx, 'run:get', { id: runId })
      expect(atCancel.resumable).toBe(true)
      expect(atCancel.checkpoints.some((c) => c.isBest)).toBe(true)
      expect(atCancel.backendInfo?.fallbacks.map((f) => f.backend)).toEqual(expect.arrayContaining(['tfjs-node-gpu']))
      expect(progress.length).toBeGreaterThan(0)

      await call(ctx, 'train:resume', { runId })
      expect((await ctx.services.training.waitFor(runId)).status).toBe('completed')
      const done = await call<RunDetail>(ctx, 'run:get', { id: runId })
      expect(done.epochLog.map((e) => e.epoch)).toEqual([1, 2, 3, 4])
      expect(done.epochLog.slice(0, cancelled.epochsDone)).toEqual(atCancel.epochLog)
      expect(done.test?.overall.n).toBeGreaterThan(0)
      expect(done.splitDetail?.train.length).toBeGreaterThan(0)
    } finally {
      ctx.close()
    }
  })

  it('a run the app was closed on is failed as interrupted, resumable, and a new app resumes it', async () => {
    const first = createAppContext({ home: home.dir, transport: 'cli', log: () => undefined })
    const { runId } = await call<{ runId: number }>(first, 'train:start', { datasetId, model: 'gears', epochs: 3, batchConditions: 4, seed: 7, prior: 'none' })
    await untilEpoch(first, runId, 1)
    first.close()
    const second = createAppContext({ home: home.dir, transport: 'cli', log: () => undefined })
    try {
      const interrupted = await call<RunDetail>(second, 'run:get', { id: runId })
      expect(interrupted).toMatchObject({ status: 'failed', resumable: true })
      expect(interrupted.error).toMatch(/Interrupted after epoch \d/)
      await call(second, 'train:resume', { runId })
      expect((await second.services.training.waitFor(runId)).status).toBe('completed')
      expect((await call<RunDetail>(second, 'run:get', { id: runId })).epochLog.map((e) => e.epoch)).toEqual([1, 2, 3])
    } finally {
      second.close()
    }
  })
})
