/**
 * The service's side of the prediction workers: spawns them on first use, mirrors which models
 * each holds, and turns requests into promises. A worker that dies fails the requests in flight
 * with the reason and is replaced on the next call; an idle worker does not keep the process alive.
 *
 * Why more than one worker: tfjs' wasm and pure-JS backends compute on one core, so a large batch
 * (a pair map's chunk, a 1,000-condition request) is split over one worker per core ("lanes").
 * tfjs-node and its GPU build use every core or the GPU themselves and keep one worker.
 */
import os from 'node:os'
import { AppError } from '../../../src-shared/contract'
import { concatTyped } from '../../io/typed-arrays'
import { computesOnOneCore, type BackendInfo, type BackendName } from '../../ml/backend'
import type { TrainConfig, TrainingData } from '../../ml/engine-types'
import type { PredictOptions, StoredModel } from '../../ml/predict'
import { transferables } from '../../ml/worker-protocol'
import { resolveWorkerScript, type WorkerScript } from '../../ml/worker-script'
import type { PredictOutput, PredictReply, PredictRequest } from '../../ml/predict-protocol'
import { EngineWorker } from '../../ml/worker-host'

export interface ModelPayload {
  stored: StoredModel
  config: TrainConfig
  data: TrainingData
  /** buffers still used on this side (the dataset cache, the knowledge base): copied, not transferred */
  keep: ReadonlySet<ArrayBufferLike>
}

export interface PredictEngineOptions {
  script?: () => Promise<WorkerScript>
  prefer?: BackendName
  /** models each worker keeps loaded */
  keep?: number
  /** workers a large batch is split over on a one-core backend (default: the cores, at most 4) */
  lanes?: number
  /** the extra workers stop after this long without a split batch (default 60 s): each holds a model */
  idleReleaseMs?: number
  log?(message: string): void
}

interface Pending {
  resolve(value: PredictReply): void
  reject(err: Error): void
}

/** Gene sets per forward pass in a worker; a split gives each worker whole passes of this size. */
const FORWARD_BATCH = 8


export class PredictEngine {
  private readonly lanes: PredictLane[] = []
  private closed = false
  /** split batches in flight, and the timer that stops the extra workers once there are none */
  private splitting = 0
  private release: ReturnType<typeof setTimeout> | null = null

  constructor(private readonly options: PredictEngineOptions = {}) {}

  /** The first worker's backend once it has started. */
  get backend(): BackendInfo | null {
    return this.lanes[0]?.backend ?? null
  }

  /** Workers started so far (a batch split over lanes starts the ones it needs). */
  get workers(): number {
    return this.lanes.length
  }

  /** Starts the first worker and loads the model `key` there (see PredictLane.load). */
  async load(key: string, payload: () => Promise<ModelPayload>): Promise<void> {
    return this.lane(0).load(key, payload)
  }

  /**
   * Predicts gene sets with the model `key`, loading it first (from `payload()`) where a worker
   * does not hold it. Sets must already be validated against the model's vocabulary. On a one-core
   * backend, at least two forward batches per worker are split over the lanes, in order; each set's
   * result does not depend on the sets beside it, so the output is the same as from one worker.
   */
  async predict(key: string, payload: () => Promise<ModelPayload>, sets: string[][], options: PredictOptions, batch = FORWARD_BATCH): Promise<PredictOutput> {
    await this.load(key, payload)
    const lanes = this.lanesFor(sets.length, batch)
    if (lanes <= 1) return this.lane(0).predict(key, payload, sets, options, batch)
    // Contiguous parts in whole batches, the first ones one batch longer where they do not divide.
    const batches = Math.ceil(sets.length / batch)
    const parts: string[][][] = []
    for (let i = 0, from = 0; i < lanes; i++) {
      const n = (Math.floor(batches / lanes) + (i < batches % lanes ? 1 : 0)) * batch
      parts.push(sets.slice(from, from + n))
      from += n
    }
    if (this.release) clearTimeout(this.release)
    this.splitting++
    let outs: PredictOutput[]
    try {
      outs = await Promise.all(parts.map((part, i) => this.lane(i).predict(key, payload, part, options, batch)))
    } finally {
      if (--this.splitting === 0) this.scheduleRelease()
    }
    const concat = (arrays: Float32Array[]) => concatTyped(arrays, (n) => new Float32Array(n))
    return {
      means: concat(outs.map((o) => o.means)),
      variances: outs[0].variances ? concat(outs.map((o) => o.variances!)) : null,
      base: outs[0].base,
      ms: Math.max(...outs.map((o) => o.ms)),
    }
  }

  /** Workers a request of `sets` gene sets is split over, once the first worker has started (1 before). */
  lanesFor(sets: number, batch = FORWARD_BATCH): number {
    const backend = this.backend?.backend ?? ''
    return computesOnOneCore(backend) ? Math.max(1, Math.min(this.laneCount(), Math.floor(sets / (2 * batch)))) : 1
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.release) clearTimeout(this.release)
    await Promise.all(this.lanes.map((l) => l.close()))
  }

  /** An extra worker holds its own copy of the model (~0.5 GB for BioDSNN on norman-like): stop them when batches stop. */
  private scheduleRelease(): void {
    this.release = setTimeout(() => {
      this.release = null
      if (this.splitting === 0) for (const lane of this.lanes.splice(1)) void lane.close()
    }, this.options.idleReleaseMs ?? 60_000)
    this.release.unref()
  }

  private laneCount(): number {
    return Math.max(1, Math.floor(this.options.lanes ?? Math.min(4, os.availableParallelism())))
  }

  private lane(i: number): PredictLane {
    if (this.closed) throw new AppError('predict.closed', 'Prediction has been shut down in this process.')
    // Extra lanes take the backend the first one found (wasm or cpu: the ones split over lanes)
    // instead of trying the order again (loading Dawn to find no GPU costs ~0.2 s and ~66 MB each).
    while (this.lanes.length <= i) this.lanes.push(new PredictLane(this.lanes.length > 0 && this.lanes[0].backend ? { ...this.options, prefer: this.lanes[0].backend.backend } : this.options))
    return this.lanes[i]
  }
}

/** One prediction worker thread: its backend, the models it holds, its requests in flight. */
class PredictLane {
  private worker: EngineWorker<PredictRequest, PredictReply> | null = null
  private ready: Promise<BackendInfo> | null = null
  private backendInfo: BackendInfo | null = null
  private readonly pending = new Map<number, Pending>()
  /** keys loaded in the current worker, least recently used first */
  private readonly loaded: string[] = []
  private readonly loading = new Map<string, Promise<void>>()
  private nextId = 1
  private closed = false

  constructor(private readonly options: PredictEngineOptions = {}) {}

  get backend(): BackendInfo | null {
    return this.backendInfo
  }

  /** Whether `key` is loaded in the worker now (a prediction will not rebuild the model). */
  isLoaded(key: string): boolean {
    return this.loaded.includes(key)
  }

  /** Predicts gene sets in this worker, loading the model first when it does not hold it. */
  async predict(key: string, payload: () => Promise<ModelPayload>, sets: string[][], options: PredictOptions, batch: number): Promise<PredictOutput> {
    await this.load(key, payload)
    const reply = await this.request({ type: 'predict', id: 0, key, sets, options, batch })
    if (reply.type !== 'predicted') throw new AppError('predict.failed', 'The prediction worker answered out of turn.')
    return reply.output
  }

  /**
   * Starts the worker and loads the model `key` unless it holds it (marking it most recently
   * used). Called ahead of a first prediction, it takes the worker's start and the model's build
   * off the wait for it.
   */
  async load(key: string, payload: () => Promise<ModelPayload>): Promise<void> {
    if (this.closed) throw new AppError('predict.closed', 'Prediction has been shut down in this process.')
    await this.start()
    if (!this.isLoaded(key)) {
      // Requests for a model being loaded wait for that load instead of loading it again.
      let loading = this.loading.get(key)
      if (!loading) {
        loading = (async () => {
          const { stored, config, data, keep } = await payload()
          await this.request({ type: 'load', id: 0, key, stored, config, data }, transferables({ stored, data }, keep))
          this.loaded.push(key)
          while (this.loaded.length > (this.options.keep ?? 2)) this.loaded.shift()
        })().finally(() => this.loading.delete(key))
        this.loading.set(key, loading)
      }
      await loading
    } else {
      this.loaded.splice(this.loaded.indexOf(key), 1)
      this.loaded.push(key)
    }
  }

  async close(): Promise<void> {
    this.closed = true
    const w = this.worker
    this.worker = null
    this.failAll('predict.closed', 'Prediction was shut down.')
    if (w) await w.terminate()
  }

  private start(): Promise<BackendInfo> {
    // A start under way (the worker's bundle may be building) is the one every caller waits for: a
    // second worker started meanwhile was orphaned and kept the process from exiting.
    if (this.ready) return this.ready
    this.loaded.length = 0
    const ready = (async () => {
      const script = await (this.options.script ?? (() => resolveWorkerScript()))()
      const worker: EngineWorker<PredictRequest, PredictReply> = new EngineWorker({
        script,
        spawn: { role: 'predict', prefer: this.options.prefer, keep: this.options.keep ?? 2 },
        name: 'prediction worker',
        crashCode: 'predict.worker-crashed',
        onMessage: (msg: PredictReply) => {
          const p = this.pending.get(msg.id)
          if (!p) return
          this.pending.delete(msg.id)
          if (this.pending.size === 0) worker.setBusy(false)
          if (msg.type === 'error') p.reject(new AppError(msg.error.code, msg.error.message))
          else p.resolve(msg)
        },
        onDeath: (reason) => {
          if (this.worker !== worker) return
          this.worker = null
          this.ready = null
          this.loaded.length = 0
          this.failAll('predict.worker-crashed', `The prediction worker stopped unexpectedly (${reason}); try again.`)
        },
        log: (m) => this.options.log?.(`prediction worker: ${m}`),
      })
      this.worker = worker
      // Someone waits for the start: the worker keeps the process alive until it is ready, then only while busy.
      this.backendInfo = await worker.ready
      if (this.pending.size === 0) worker.setBusy(false)
      return this.backendInfo
    })()
    this.ready = ready
    ready.catch(() => {
      if (this.ready === ready) this.ready = null
    })
    return ready
  }

  private request(msg: PredictRequest, transfer: ArrayBuffer[] = []): Promise<PredictReply> {
    const worker = this.worker
    if (!worker?.alive) return Promise.reject(new AppError('predict.worker-crashed', 'The prediction worker is not running; try again.'))
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      worker.setBusy(true)
      worker.post({ ...msg, id }, transfer)
    })
  }

  private failAll(code: string, message: string): void {
    const list = [...this.pending.values()]
    this.pending.clear()
    for (const p of list) p.reject(new AppError(code, message))
  }
}
