/**
 * Rank 0's side of data-parallel training: starts W − 1 peer workers (the training worker's own
 * script, in the `peer` role), hands each the dataset once in shared memory, the model at the
 * start of each training (a run, or a cross-validation fold), and each step's visits. It waits for
 * nothing during a step: the workers meet in the collective (parallel/collective).
 */
import { Worker } from 'node:worker_threads'
import { AppError } from '../../../src-shared/contract/envelope'
import type { BackendName } from '../backend'
import type { TrainConfig, TrainingData } from '../engine-types'
import type { ParamsArtifact } from '../serialize'
import type { ShardPlan, Visit } from '../train-step'
import { resolveWorkerScript } from '../worker-script'
import { Collective, createCollectiveBuffers } from './collective'
import type { PeerInit, PeerReply, PeerRequest } from './protocol'

/** Largest BatchNorm statistics vector summed (2 × channels + 1; channels ≤ 2H or G). */
function smallCapacity(data: TrainingData, hidden: number): number {
  return 2 * Math.max(2 * hidden, data.genes.length) + 2
}

export class PeerGroup {
  private readonly waiting = new Map<number, { resolve(msg: PeerReply): void; reject(e: Error): void }>()
  private failure: string | null = null
  /** terminate() was called: the peers' exits are expected */
  private closing = false

  private constructor(
    readonly collective: Collective,
    private readonly workers: Worker[],
  ) {}

  get size(): number {
    return this.workers.length + 1
  }

  /**
   * Starts `count` peers on `backend`; `sumSize` is what each adds to a step's sum (train-step
   * `shardBufferSize`). Their failure to start fails the run with the reason (no silent fallback:
   * W is part of what the run reproduces).
   */
  static async start(count: number, backend: BackendName, data: TrainingData, hidden: number, sumSize: number): Promise<PeerGroup> {
    const buffers = createCollectiveBuffers(count + 1, smallCapacity(data, hidden), sumSize)
    const shared = sharedCopy(data)
    const script = await resolveWorkerScript()
    const workers: Worker[] = []
    const group = new PeerGroup(new Collective(buffers, 0), workers)
    const started: Promise<void>[] = []
    for (let r = 1; r <= count; r++) {
      const init: PeerInit = { role: 'peer', rank: r, prefer: backend, collective: buffers, data: shared }
      const w = new Worker(script.file, { workerData: init, execArgv: script.execArgv, stdout: false, stderr: false })
      workers.push(w)
      started.push(group.watch(w, r))
    }
    try {
      await Promise.all(started)
    } catch (err) {
      await group.terminate()
      throw err
    }
    return group
  }

  /** Resolves on the peer's next 'ready' / 'setup-done'; a failure or death rejects it and aborts the collective. */
  private watch(w: Worker, rank: number): Promise<void> {
    const first = new Promise<void>((resolve, reject) => this.waiting.set(rank, { resolve: () => resolve(), reject }))
    const fail = (message: string) => {
      this.failure ??= message
      this.collective.abort()
      const wait = this.waiting.get(rank)
      this.waiting.delete(rank)
      wait?.reject(new AppError('train.worker-crashed', `Training worker ${rank + 1} of ${this.size} failed: ${message}`))
    }
    w.on('message', (msg: PeerReply) => {
      if (msg.type === 'failed') return fail(msg.error.message)
      const wait = this.waiting.get(rank)
      this.waiting.delete(rank)
      wait?.resolve(msg)
    })
    w.on('error', (err) => fail(err?.message ?? String(err)))
    w.on('exit', (code) => {
      if (!this.closing) fail(`it exited with code ${code}`)
    })
    return first
  }

  /** Sends every peer the model to train (rank 0's starting weights) and waits until each holds it. */
  async setup(config: TrainConfig, params: ParamsArtifact, names: string[], optimizer?: ParamsArtifact): Promise<void> {
    const done = this.workers.map((w, i) => {
      const p = new Promise<void>((resolve, reject) => this.waiting.set(i + 1, { resolve: () => resolve(), reject }))
      this.post(w, { type: 'setup', config, params, names, ...(optimizer ? { optimizer } : {}) })
      return p
    })
    await Promise.all(done)
  }

  /** Hands out one step; `priorOf(rank)` gives each peer the prior rows of its part. */
  step(batch: Visit[], plan: ShardPlan, priorOf: (rank: number) => Float32Array | null, seed: number, lr: number): void {
    this.workers.forEach((w, i) => this.post(w, { type: 'step', batch, plan, prior: priorOf(i + 1), seed, lr }))
  }

  /** Each peer's wasm heap in MB (null where the backend has none). */
  async heaps(): Promise<(number | null)[]> {
    return Promise.all(
      this.workers.map((w, i) => {
        const p = new Promise<number | null>((resolve, reject) => this.waiting.set(i + 1, { resolve: (msg) => resolve(msg.type === 'stats' ? msg.heapMb : null), reject }))
        this.post(w, { type: 'stats' })
        return p
      }),
    )
  }

  teardown(): void {
    for (const w of this.workers) this.post(w, { type: 'teardown' })
  }

  /** Why a peer failed, once it has said so (a step that failed in the collective gives the cause here). */
  async reason(): Promise<string | null> {
    if (!this.failure) await new Promise((r) => setTimeout(r, 200))
    return this.failure
  }

  async terminate(): Promise<void> {
    this.closing = true
    await Promise.all(this.workers.map((w) => w.terminate()))
  }

  private post(w: Worker, msg: PeerRequest): void {
    w.postMessage(msg)
  }
}

/** Below this, copying a typed array at spawn costs nothing worth avoiding. */
const SHARE_MIN_BYTES = 1 << 16

/**
 * A copy of `value` whose large typed arrays live in SharedArrayBuffers (those already shared are
 * reused), so every peer reads the one copy of the dataset; plain objects and arrays are copied,
 * the caller's object is left alone.
 */
export function sharedCopy<T>(value: T): T {
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      const a = v as unknown as Float32Array
      if (a.buffer instanceof SharedArrayBuffer || a.byteLength < SHARE_MIN_BYTES) return v
      const Ctor = a.constructor as new (b: SharedArrayBuffer) => Float32Array
      const copy = new Ctor(new SharedArrayBuffer(a.byteLength))
      copy.set(a)
      return copy
    }
    if (Array.isArray(v)) return v.map(walk)
    if (Object.getPrototypeOf(v) !== Object.prototype) return v
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]))
  }
  return walk(value) as T
}
