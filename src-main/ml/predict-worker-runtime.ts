/**
 * A worker in the prediction role: chooses the compute backend once, keeps the last few loaded
 * models, and answers load / predict requests in order. Runs inside a `worker_threads` worker.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { AppError } from '../../src-shared/contract/envelope'
import { loadModel, predictMeans, unpredictableReason, type LoadedModel, type PredictOptions } from './predict'
import type { PredictOutput, PredictReply, PredictRequest, PredictWorkerInit } from './predict-protocol'
import { toWire, type HandshakeMessage } from './worker-protocol'
import { announceBackend } from './worker-side'

/** Means (c̄-or-VAE base + Δ, floored at 0) and variances for gene sets, `batch` conditions per forward pass. */
export async function predictSets(loaded: LoadedModel, sets: string[][], options: PredictOptions, batch: number): Promise<Omit<PredictOutput, 'ms'>> {
  const model = loaded.model
  if (!model) throw new AppError('predict.failed', 'Baselines are predicted by the service, not the worker.')
  for (const genes of sets) {
    const why = unpredictableReason(loaded, genes)
    if (why) throw new AppError('predict.unplaceable-gene', `Cannot predict ${genes.join('+')}: ${why}.`)
  }
  const rows = sets.map((genes) => genes.map((g) => model.ctx.pertIndex.get(g)!))
  return predictMeans(loaded, rows, options, batch)
}

export function runPredictWorker(): void {
  const port = parentPort
  if (!port) throw new Error('predict-worker-runtime must run inside a worker thread')
  const init = workerData as PredictWorkerInit
  const post = (msg: PredictReply | HandshakeMessage, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer)
  const models = new Map<string, LoadedModel>()
  const ready = announceBackend(post, init.prefer, 'predict.failed')
  let queue: Promise<unknown> = Promise.resolve()

  const handle = async (msg: PredictRequest) => {
    if (!(await ready)) return post({ type: 'error', id: msg.id, error: { code: 'backend.unavailable', message: 'The prediction worker has no compute backend.' } })
    const start = performance.now()
    try {
      if (msg.type === 'load') {
        models.get(msg.key)?.dispose()
        models.delete(msg.key)
        models.set(msg.key, await loadModel(msg.stored, msg.config, msg.data))
        while (models.size > Math.max(1, init.keep)) {
          const [oldest, m] = models.entries().next().value!
          m.dispose()
          models.delete(oldest)
        }
        return post({ type: 'loaded', id: msg.id, ms: performance.now() - start })
      }
      const loaded = models.get(msg.key)
      if (!loaded) throw new AppError('predict.not-loaded', 'The model is not loaded in the prediction worker.')
      // Most recently used last, so eviction drops the oldest.
      models.delete(msg.key)
      models.set(msg.key, loaded)
      const out = await predictSets(loaded, msg.sets, msg.options, msg.batch)
      const output: PredictOutput = { ...out, ms: performance.now() - start }
      post({ type: 'predicted', id: msg.id, output }, [out.means.buffer as ArrayBuffer, ...(out.variances ? [out.variances.buffer as ArrayBuffer] : [])])
    } catch (err) {
      post({ type: 'error', id: msg.id, error: toWire(err, 'predict.failed') })
    }
  }

  port.on('message', (msg: PredictRequest) => {
    queue = queue.then(() => handle(msg))
  })
}
