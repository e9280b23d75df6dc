/**
 * The owning side of one training worker thread: spawns it, waits for its backend, forwards
 * messages, and reports its death (exit or uncaught error) with a reason, once. It holds no
 * run state; the training service decides what a death means for the run it was training.
 */
import { Worker } from 'node:worker_threads'
import { AppError } from '../../src-shared/contract/envelope'
import type { BackendInfo, BackendName } from './backend'
import type { HostMessage, WorkerFault, WorkerMessage } from './worker-protocol'
import type { WorkerScript } from './worker-script'

export interface TrainingWorkerOptions {
  script: WorkerScript
  prefer?: BackendName
  fault?: WorkerFault
  onMessage(msg: WorkerMessage): void
  /** the worker died on its own (not through terminate()) */
  onDeath(reason: string): void
  log?(message: string): void
}

export class TrainingWorker {
  readonly prefer?: BackendName
  backend: BackendInfo | null = null
  /** resolves with the backend once initBackend is done; rejects if it fails or the worker dies first */
  readonly ready: Promise<BackendInfo>
  private readonly worker: Worker
  private dead = false
  private terminating = false
  private lastError: string | null = null

  constructor(private readonly options: TrainingWorkerOptions) {
    this.prefer = options.prefer
    let resolveReady!: (b: BackendInfo) => void
    let rejectReady!: (e: Error) => void
    this.ready = new Promise((res, rej) => ((resolveReady = res), (rejectReady = rej)))
    // Awaited by the service; unobserved rejections (a worker nobody waits for) must not crash the app.
    this.ready.catch(() => undefined)
    this.worker = new Worker(options.script.file, {
      workerData: { prefer: options.prefer, fault: options.fault },
      execArgv: options.script.execArgv,
      // Heavy output (tfjs warnings) goes to our stderr, as the process's own would.
      stderr: false,
      stdout: false,
    })
    this.worker.on('message', (msg: WorkerMessage) => {
      if (msg.type === 'ready') {
        this.backend = msg.backend
        resolveReady(msg.backend)
        return
      }
      if (msg.type === 'init-failed') {
        rejectReady(new AppError(msg.error.code, msg.error.message))
        return
      }
      if (msg.type === 'log') {
        options.log?.(msg.message)
        return
      }
      options.onMessage(msg)
    })
    this.worker.on('error', (err) => {
      // 'exit' follows; keep the cause for it.
      this.lastError = err?.stack?.split('\n').slice(0, 2).join(' ') || err?.message || String(err)
    })
    this.worker.on('exit', (code) => {
      this.dead = true
      const reason = this.lastError ?? `the worker exited with code ${code}`
      rejectReady(new AppError('train.worker-crashed', `The training worker stopped before it was ready: ${reason}`))
      if (!this.terminating) options.onDeath(reason)
    })
  }

  get alive(): boolean {
    return !this.dead
  }

  post(msg: HostMessage, transfer: ArrayBuffer[] = []): void {
    if (this.dead) throw new AppError('train.worker-crashed', 'The training worker is not running.')
    this.worker.postMessage(msg, transfer)
  }

  /** Idle workers do not keep the process alive (a CLI command ends when its work does). */
  setBusy(busy: boolean): void {
    if (busy) this.worker.ref()
    else this.worker.unref()
  }

  async terminate(): Promise<void> {
    this.terminating = true
    if (!this.dead) await this.worker.terminate()
  }
}
