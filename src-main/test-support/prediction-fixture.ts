/**
 * A data folder for prediction tests: the knowledge release built from ../shared/knowledge, the
 * `small` synthetic screen imported, and a GEARS run (1 epoch, with the uncertainty head) trained
 * with its baselines. About 15 s on two cores.
 */
import path from 'node:path'
import { createAppContext, type AppContext } from '../app-context'
import { runCli } from '../cli/main'
import { call } from './app'
import { SHARED_DIR, tempHome } from './temp-home'

export interface PredictFixture {
  home: ReturnType<typeof tempHome>
  ctx: AppContext
  datasetId: number
  runId: number
  close(): void
}

export async function predictFixture(prefix: string): Promise<PredictFixture> {
  const home = tempHome(prefix)
  const quiet = { stdout: () => undefined, stderr: () => undefined }
  const knowledge = path.join(SHARED_DIR, 'knowledge')
  const file = path.join(home.dir, 'small.h5ad')
  const ok = async (args: string[]) => {
    const code = await runCli(['--home', home.dir, ...args], quiet)
    if (code !== 0) throw new Error(`perturb-studio ${args.join(' ')} exited with ${code}`)
  }
  await ok(['knowledge', 'build', '--knowledge', knowledge])
  await ok(['synth', '--preset', 'small', '--seed', '1', '--out', file, '--knowledge', knowledge])
  await ok(['import', file, '--condition-column', 'condition', '--control-label', 'ctrl'])
  const ctx = createAppContext({ home: home.dir, transport: 'cli', log: () => undefined })
  const { runId } = await call<{ runId: number }>(ctx, 'train:start', { datasetId: 1, model: 'gears', epochs: 1, uncertainty: true, prior: 'none' })
  const run = await ctx.services.training.waitFor(runId)
  if (run.status !== 'completed') throw new Error(`the fixture run ${runId} ended ${run.status}: ${run.error}`)
  return {
    home,
    ctx,
    datasetId: 1,
    runId,
    close: () => {
      ctx.close()
      home.cleanup()
    },
  }
}
