/**
 * The owning side of one engine worker thread, whatever its role (training, a data-parallel
 * peer, prediction): spawns the one worker script (worker.ts) with its role and spawn data, waits
 * for the backend it chose, forwards its other messages, and reports its death (exit or uncaught
 * error) with a reason, once. It holds no work state: its owner decides what a death means.
 */
import { Worker } from 'node:worker_threads'
import { AppError } from '../../src-shared/contract/envelope'
import type { BackendInfo, BackendName } from './backend'
import type { HandshakeMessage, WorkerSpawn } from './worker-protocol'
import type { WorkerScript } from './worker-script'

export interface EngineWorkerOptions<Reply> {
  script: WorkerScript
  /** the role and its spawn data (`workerData`) */
  spawn: WorkerSpawn
  /** in messages and the error code of a death before it was ready: 'training worker', … */
  name: string
  crashCode: string
  onMessage(msg: Reply): void
  /** the worker died on its own (not through terminate()) */
  onDeath(reason: string): void
  log?(message: string): void
}

export class EngineWorker<Request = unknown, Reply = unknown> {
  readonly prefer?: BackendName
  backend: BackendInfo | null = null
  /** resolves with the backend once the worker has chosen it; rejects if that fails or the worker dies first */
  readonly ready: Promise<BackendInfo>
  private readonly worker: Worker
  private dead = false
  private terminating = false
  private lastError: string | null = null

  constructor(private readonly options: EngineWorkerOptions<Reply>) {
    this.prefer = options.spawn.prefer
    let resolveReady!: (b: BackendInfo) => void
    let rejectReady!: (e: Error) => void
    this.ready = new Promise((res, rej) => ((resolveReady = res), (rejectReady = rej)))
    // Awaited by the owner; unobserved rejections (a worker nobody waits for) must not crash the app.
    this.ready.catch(() => undefined)
    this.worker = new Worker(options.script.file, {
      workerData: options.spawn,
      execArgv: options.script.execArgv,
      argv: options.script.argv,
      // Heavy output (tfjs warnings) goes to our stderr, as the process's own would.
      stderr: false,
      stdout: false,
    })
    this.worker.on('message', (msg: HandshakeMessage | Reply) => {
      const m = msg as HandshakeMessage
      if (m.type === 'ready') {
        this.backend = m.backend
        resolveReady(m.backend)
      } else if (m.type === 'init-failed') rejectReady(new AppError(m.error.code, m.error.message))
      else if (m.type === 'log') options.log?.(m.message)
      else options.onMessage(msg as Reply)
    })
    this.worker.on('error', (err) => {
      // 'exit' follows; keep the cause for it.
      this.lastError = err?.stack?.split('\n').slice(0, 2).join(' ') || err?.message || String(err)
    })
    this.worker.on('exit', (code) => {
      this.dead = true
      const reason = this.lastError ?? `the worker exited with code ${code}`
      rejectReady(new AppError(options.crashCode, `The ${options.name} stopped before it was ready: ${reason}`))
      if (!this.terminating) options.onDeath(reason)
    })
  }

  get alive(): boolean {
    return !this.dead
  }

  post(msg: Request, transfer: ArrayBuffer[] = []): void {
    if (this.dead) throw new AppError(this.options.crashCode, `The ${this.options.name} is not running.`)
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
