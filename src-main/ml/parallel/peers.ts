/**
 * Rank 0's side of data-parallel training: starts W − 1 peer workers (the training worker's own
 * script, in the `peer` role), hands each the dataset once in shared memory, the model at the
 * start of each training (a run, or a cross-validation fold), and each step's visits. It waits for
 * nothing during a step: the workers meet in the collective (parallel/collective).
 */
import { AppError } from '../../../src-shared/contract/envelope'
import type { BackendName } from '../backend'
import type { TrainConfig, TrainingData } from '../engine-types'
import type { ParamsArtifact } from '../serialize'
import type { ShardPlan, Visit } from '../train-step'
import { EngineWorker } from '../worker-host'
import { buffersOf, shareKept } from '../worker-protocol'
import { resolveWorkerScript } from '../worker-script'
import { Collective, createCollectiveBuffers } from './collective'
import type { PeerReply, PeerRequest } from './protocol'

/** Largest BatchNorm statistics vector summed (2 × channels + 1; channels ≤ 2H or G). */
function smallCapacity(data: TrainingData, hidden: number): number {
  return 2 * Math.max(2 * hidden, data.genes.length) + 2
}

export class PeerGroup {
  /** per peer, the reply it is awaited for (setup, stats) */
  private readonly waiting = new Map<number, { resolve(msg: PeerReply): void; reject(e: Error): void }>()
  private failure: string | null = null

  private constructor(
    readonly collective: Collective,
    private readonly workers: EngineWorker<PeerRequest, PeerReply>[],
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
    // The dataset's large arrays move into shared memory, in place: every worker reads rank 0's pages.
    const shared = shareKept(data, buffersOf(data))
    const script = await resolveWorkerScript()
    const workers: EngineWorker<PeerRequest, PeerReply>[] = []
    const group = new PeerGroup(new Collective(buffers, 0), workers)
    for (let r = 1; r <= count; r++) {
      const rank = r
      workers.push(
        new EngineWorker<PeerRequest, PeerReply>({
          script,
          spawn: { role: 'peer', rank, prefer: backend, collective: buffers, data: shared },
          name: `training worker ${rank + 1} of ${count + 1}`,
          crashCode: 'train.worker-crashed',
          onMessage: (msg) => group.answer(rank, msg),
          onDeath: (reason) => group.fail(rank, reason),
        }),
      )
    }
    try {
      await Promise.all(workers.map((w) => w.ready))
    } catch (err) {
      await group.terminate()
      throw err
    }
    return group
  }

  private answer(rank: number, msg: PeerReply): void {
    if (msg.type === 'failed') return this.fail(rank, msg.error.message)
    const wait = this.waiting.get(rank)
    this.waiting.delete(rank)
    wait?.resolve(msg)
  }

  /** A peer failed or died: the collective is aborted (the others stop at their next wait) and a reply awaited from it fails. */
  private fail(rank: number, message: string): void {
    this.failure ??= message
    this.collective.abort()
    const wait = this.waiting.get(rank)
    this.waiting.delete(rank)
    wait?.reject(new AppError('train.worker-crashed', `Training worker ${rank + 1} of ${this.size} failed: ${message}`))
  }

  /** Posts `msg` to every peer and waits for each one's reply. */
  private ask(msg: (rank: number) => PeerRequest): Promise<PeerReply[]> {
    return Promise.all(
      this.workers.map((w, i) => {
        const reply = new Promise<PeerReply>((resolve, reject) => this.waiting.set(i + 1, { resolve, reject }))
        w.post(msg(i + 1))
        return reply
      }),
    )
  }

  /** Sends every peer the model to train (rank 0's starting weights) and waits until each holds it. */
  async setup(config: TrainConfig, params: ParamsArtifact, names: string[], optimizer?: ParamsArtifact): Promise<void> {
    await this.ask(() => ({ type: 'setup', config, params, names, ...(optimizer ? { optimizer } : {}) }))
  }

  /** Hands out one step; `priorOf(rank)` gives each peer the prior rows of its part. */
  step(batch: Visit[], plan: ShardPlan, priorOf: (rank: number) => Float32Array | null, seed: number, lr: number): void {
    this.workers.forEach((w, i) => w.post({ type: 'step', batch, plan, prior: priorOf(i + 1), seed, lr }))
  }

  /** Each peer's wasm heap in MB (null where the backend has none). */
  async heaps(): Promise<(number | null)[]> {
    return (await this.ask(() => ({ type: 'stats' }))).map((m) => (m.type === 'stats' ? m.heapMb : null))
  }

  teardown(): void {
    for (const w of this.workers) if (w.alive) w.post({ type: 'teardown' })
  }

  /** Why a peer failed, once it has said so (a step that failed in the collective gives the cause here). */
  async reason(): Promise<string | null> {
    if (!this.failure) await new Promise((r) => setTimeout(r, 200))
    return this.failure
  }

  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()))
  }
}
