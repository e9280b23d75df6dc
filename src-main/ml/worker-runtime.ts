/**
 * The training worker's side of the protocol, with the training function injected so tests can
 * drive the protocol with a scripted trainer. Runs inside a `worker_threads` worker: it chooses
 * the compute backend once, then trains the batches it is sent one job at a time.
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { ResumeState, TrainCallbacks, TrainConfig, TrainingData, TrainResult } from './engine-types'
import type { ParamsArtifact } from './serialize'
import type { HandshakeMessage, HostMessage, WorkerInit, WorkerMessage } from './worker-protocol'
import { buffersOf, toWire, transferables } from './worker-protocol'
import { announceBackend } from './worker-side'

export type TrainFn = (data: TrainingData, config: TrainConfig, callbacks: TrainCallbacks, resume?: ResumeState) => Promise<TrainResult>

/** At most ~10 progress messages per second; the last step of an epoch always goes out. */
const PROGRESS_INTERVAL_MS = 100

export function runWorker(train: TrainFn): void {
  const port = parentPort
  if (!port) throw new Error('worker-runtime must run inside a worker thread')
  const init = (workerData ?? { role: 'train' }) as WorkerInit
  const post = (msg: WorkerMessage | HandshakeMessage, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer)
  const stopRequested = new Set<number>()
  let queue: Promise<void> = Promise.resolve()

  const ready = announceBackend(post, init.prefer, 'train.failed')

  async function runBatch(data: TrainingData, jobs: Extract<HostMessage, { type: 'train' }>['jobs']): Promise<void> {
    if (!(await ready)) return
    // Results may hold the data's own arrays (a baseline's control mean): those are copied, not transferred.
    const shared = buffersOf(data)
    for (const job of jobs) {
      const { runId } = job
      if (stopRequested.has(runId)) {
        post({ type: 'failed', runId, error: { code: 'train.cancelled', message: 'Cancelled before it started.' }, stopped: true })
        continue
      }
      post({ type: 'started', runId })
      let lastSent = 0
      const callbacks: TrainCallbacks = {
        onProgress: (progress) => {
          const now = Date.now()
          if (now - lastSent >= PROGRESS_INTERVAL_MS || progress.step >= progress.stepsPerEpoch) {
            lastSent = now
            post({ type: 'progress', runId, progress })
          }
        },
        onEpoch: (report, params, isBest, optimizer) => {
          // Copies are transferred: the trainer may still hold the artefacts (e.g. as its best so far).
          const copy = (a: ParamsArtifact | undefined) => a && { manifest: a.manifest, data: a.data.slice() }
          const p = copy(params)
          const o = copy(optimizer)
          post({ type: 'epoch', runId, report, params: p, optimizer: o, isBest }, [p, o].flatMap((a) => (a ? [a.data.buffer as ArrayBuffer] : [])))
        },
        shouldStop: () => stopRequested.has(runId),
      }
      try {
        const result = await train(data, job.config, callbacks, job.resume)
        post({ type: 'result', runId, result, stopped: stopRequested.has(runId) }, transferables({ params: result.params, fitted: result.fitted }, shared))
      } catch (err) {
        post({ type: 'failed', runId, error: toWire(err, 'train.failed'), stopped: stopRequested.has(runId) })
      }
      stopRequested.delete(runId)
    }
  }

  port.on('message', (msg: HostMessage) => {
    if (msg.type === 'stop') stopRequested.add(msg.runId)
    else if (msg.type === 'train') {
      queue = queue.then(() => runBatch(msg.data, msg.jobs)).then(() => post({ type: 'done' }))
    }
  })
}
