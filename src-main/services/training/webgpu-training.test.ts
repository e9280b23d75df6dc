/**
 * The webgpu backend (Dawn through the `webgpu` package) against wasm on the `small` synthetic screen:
 * GEARS and BioDSNN trained for 2 epochs on each end with the same losses and test metrics (1e-3
 * relative), the same weights predict the same means on both (1e-4), and the CLI trains and
 * predicts with `--backend webgpu` through the real workers, storing and showing the adapter.
 *
 * Where no WebGPU adapter exists (no Vulkan/Metal/D3D12; Linux without Mesa ≥ 24) the suite skips
 * and says why. On a machine with only lavapipe (a software adapter) it runs: `--backend webgpu`
 * forces it, which the automatic order never does.
 */
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunDetail } from '../../../src-shared/contract'
import { createAppContext, type AppContext } from '../../app-context'
import { runCli } from '../../cli/main'
import { initBackend, type BackendInfo } from '../../ml/backend'
import { defaultTrainConfig } from '../../ml/config'
import type { ModelName, TrainingData, TrainResult } from '../../ml/engine-types'
import { loadModel, predict } from '../../ml/predict'
import type { ParamsArtifact } from '../../ml/serialize'
import { train } from '../../ml/trainer'
import { SHARED_DIR, tempHome } from '../../test-support/temp-home'
import { buildTrainingData } from './training-data'

/** Whether a WebGPU adapter can be had here (forced, so a software one counts), and why not. */
async function probe(): Promise<{ info: BackendInfo | null; reason: string }> {
  try {
    const info = await initBackend({ prefer: 'webgpu' })
    return { info, reason: '' }
  } catch (err) {
    return { info: null, reason: err instanceof Error ? err.message : String(err) }
  }
}

const webgpu = await probe()
if (!webgpu.info) console.warn(`webgpu tests skipped: ${webgpu.reason}`)

const quiet = { stdout: () => undefined, stderr: () => undefined }
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-12, Math.abs(b))

describe.skipIf(!webgpu.info)('the webgpu backend', () => {
  let home: ReturnType<typeof tempHome>
  let ctx: AppContext
  let data: TrainingData

  beforeAll(async () => {
    home = tempHome('ps-webgpu-')
    const knowledge = path.join(SHARED_DIR, 'knowledge')
    const file = path.join(home.dir, 'small.h5ad')
    expect(await runCli(['--home', home.dir, 'knowledge', 'build', '--knowledge', knowledge], quiet)).toBe(0)
    expect(await runCli(['--home', home.dir, 'synth', '--preset', 'small', '--seed', '1', '--out', file, '--knowledge', knowledge], quiet)).toBe(0)
    expect(await runCli(['--home', home.dir, 'import', file, '--condition-column', 'condition', '--control-label', 'ctrl'], quiet)).toBe(0)
    ctx = createAppContext({ home: home.dir, transport: 'cli', log: () => undefined })
    data = buildTrainingData(await ctx.services.datasets.load(1), await ctx.services.knowledge.base(), { datasetId: 1 })
  }, 300_000)

  afterAll(() => {
    ctx?.close()
    home?.cleanup()
  })

  it('reports the adapter it runs on', () => {
    const info = webgpu.info!
    expect(info).toMatchObject({ backend: 'webgpu', engineBackend: 'webgpu', customKernels: [] })
    expect(info.adapter!.vendor.length + info.adapter!.description.length).toBeGreaterThan(0)
    expect(info.device).toContain(info.adapter!.description)
    if (info.adapter!.software) expect(info.device).toMatch(/software adapter/)
  })

  // prior 'none': the small screen's residual runs would choose their epochs by 5-fold
  // cross-validation (~6× the work); this trains exactly 2 epochs on each backend.
  it.each(['gears', 'biodsnn'] as ModelName[])(
    '%s: 2 epochs on webgpu end where wasm ends (losses, validation, test metrics), and the weights predict the same on both',
    async (model) => {
      const config = defaultTrainConfig(model, { epochs: 2, seed: 1, prior: 'none', uncertainty: true })
      let lastParams: ParamsArtifact | undefined
      const run = async (backend: 'wasm' | 'webgpu'): Promise<TrainResult> => {
        await initBackend({ prefer: backend })
        return train(data, config, { onEpoch: (_report, params) => void (lastParams = params) })
      }
      const onWasm = await run('wasm')
      const onGpu = await run('webgpu')
      // The webgpu run's weights after its last epoch (the best epoch of so short a run is often the
      // start, whose prediction barely depends on the backend).
      const trained = lastParams!
      expect(onGpu.backend.backend).toBe('webgpu')
      expect(onGpu.backend.adapter).toEqual(webgpu.info!.adapter)
      expect(onGpu.epochs).toHaveLength(2)
      // Measured on lavapipe (float32 sums in another order than wasm's; see ops/tensor-path.test for
      // what Adam makes of rounding noise): printed so a change shows.
      const worst = { losses: 0, val: 0, test: 0, predictionSameWeights: 0 }
      onWasm.epochs.forEach((e, i) => {
        for (const [k, v] of Object.entries(e.losses)) {
          worst.losses = Math.max(worst.losses, rel(onGpu.epochs[i].losses[k], v))
          expect(rel(onGpu.epochs[i].losses[k], v), `epoch ${i + 1} ${k}`).toBeLessThan(1e-3)
        }
        worst.val = Math.max(worst.val, rel(onGpu.epochs[i].val.mse_de, e.val.mse_de))
        expect(rel(onGpu.epochs[i].val.mse_de, e.val.mse_de), `epoch ${i + 1} val mse_de`).toBeLessThan(1e-3)
      })
      expect(onGpu.bestEpoch).toBe(onWasm.bestEpoch)
      for (const k of ['mse_de', 'mse', 'pearson_de', 'pearson_delta'] as const) {
        worst.test = Math.max(worst.test, rel(onGpu.test.overall[k], onWasm.test.overall[k]))
        expect(rel(onGpu.test.overall[k], onWasm.test.overall[k]), `test ${k}`).toBeLessThan(1e-3)
      }

      // One set of weights (the webgpu run's last) predicts a pair and a single the same on both backends.
      const sets = [data.conditions.find((c) => c.genes.length === 2)!.genes, data.conditions.find((c) => c.genes.length === 1)!.genes]
      const predictOn = async (backend: 'wasm' | 'webgpu', params = trained) => {
        await initBackend({ prefer: backend })
        const loaded = await loadModel({ params }, config, data)
        const out = await predict(loaded, sets)
        loaded.dispose()
        return out
      }
      const gpu = await predictOn('webgpu')
      const cpu = await predictOn('wasm')
      // Not vacuous: training moved these predictions away from the start's.
      const start = await predictOn('wasm', onWasm.params)
      if (onWasm.bestEpoch === 0) expect(Math.max(...Array.from(cpu[0].mean, (v, g) => Math.abs(v - start[0].mean[g])))).toBeGreaterThan(1e-3)
      gpu.forEach((p, i) => {
        p.mean.forEach((v, g) => (worst.predictionSameWeights = Math.max(worst.predictionSameWeights, Math.abs(v - cpu[i].mean[g]))))
        p.variance!.forEach((v, g) => expect(rel(v, cpu[i].variance![g])).toBeLessThan(1e-3))
      })
      console.info(`webgpu vs wasm, ${model}: largest relative difference of losses ${worst.losses.toExponential(1)}, validation mse_de ${worst.val.toExponential(1)}, test metrics ${worst.test.toExponential(1)}; same weights, largest |Δ mean| ${worst.predictionSameWeights.toExponential(1)}`)
      expect(worst.predictionSameWeights).toBeLessThan(1e-4)
    },
    600_000,
  )

  it('trains and predicts from the CLI with --backend webgpu in the workers, storing and showing the adapter', async () => {
    const lines: string[] = []
    const io = { stdout: (s: string) => lines.push(s), stderr: () => undefined }
    expect(await runCli(['--home', home.dir, 'train', '--dataset', '1', '--model', 'gears', '--epochs', '1', '--prior', 'none', '--backend', 'webgpu', '--json'], io)).toBe(0)
    const trained = JSON.parse(lines.join('')) as { runId: number; backend: string; device: string }
    expect(trained.backend).toBe('webgpu')
    expect(trained.device).toBe(webgpu.info!.device)
    lines.length = 0
    expect(await runCli(['--home', home.dir, 'run', 'show', String(trained.runId), '--json'], io)).toBe(0)
    const shown = JSON.parse(lines.join('')) as RunDetail
    expect(shown.backendInfo?.adapter).toEqual(webgpu.info!.adapter)
    lines.length = 0
    expect(await runCli(['--home', home.dir, 'run', 'show', String(trained.runId)], io)).toBe(0)
    expect(lines.join('\n')).toContain(webgpu.info!.adapter!.description)
    // The same run's prediction from the webgpu prediction worker and from a wasm one.
    const condition = data.conditions.find((c) => c.genes.length === 2)!.genes.join('+')
    const predictWith = async (backend: string) => {
      const out: string[] = []
      const err: string[] = []
      expect(await runCli(['--home', home.dir, 'predict', '--run', String(trained.runId), '--condition', condition, '--no-save', '--full', '--backend', backend, '--json'], { stdout: (s) => out.push(s), stderr: (s) => err.push(s) })).toBe(0)
      expect(err.join('\n')).toContain(`prediction worker: compute backend: ${backend}`)
      return (JSON.parse(out.join('')) as { conditions: { condition: string; mean: number[] }[] }).conditions[0]
    }
    const gpu = await predictWith('webgpu')
    const cpu = await predictWith('wasm')
    expect(gpu.condition).toBe(condition)
    gpu.mean.forEach((v, g) => expect(Math.abs(v - cpu.mean[g])).toBeLessThan(1e-4))
  }, 600_000)
})
