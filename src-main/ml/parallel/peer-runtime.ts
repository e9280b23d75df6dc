/**
 * A data-parallel training's worker of rank > 0: holds a copy of the model, computes its part of
 * each step and applies the same update as rank 0 (train-step `trainStepShard`). It never
 * validates or saves: rank 0 does, with weights equal to this copy's.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { wasmHeapBytes } from '../backend-info'
import { modelFromParams } from '../predict'
import { Adam } from '../optimizer'
import { stepContext, trainStepShard, type StepContext } from '../train-step'
import { toWire, type HandshakeMessage } from '../worker-protocol'
import { announceBackend } from '../worker-side'
import { Collective } from './collective'
import type { PeerInit, PeerReply, PeerRequest } from './protocol'

export function runPeer(): void {
  const port = parentPort
  if (!port) throw new Error('peer-runtime must run inside a worker thread')
  const init = workerData as PeerInit
  const post = (msg: PeerReply | HandshakeMessage) => port.postMessage(msg)
  const collective = new Collective(init.collective, init.rank)
  let step: (StepContext & { dispose(): void }) | null = null
  const fail = (err: unknown) => {
    collective.abort()
    post({ type: 'failed', error: toWire(err, 'train.worker-crashed') })
  }
  const ready = announceBackend(post, init.prefer, 'train.worker-crashed')
  let queue: Promise<unknown> = Promise.resolve()
  const handle = async (msg: PeerRequest) => {
    if (!(await ready)) return
    try {
      if (msg.type === 'setup') {
        step?.dispose()
        step = null
        const { model, dispose } = modelFromParams(msg.params, msg.config, init.data)
        const adam = new Adam(model.store, { lr: msg.config.lr, weightDecay: msg.config.weightDecay })
        const ctx = stepContext(model, init.data, msg.config, adam)
        const names = ctx.vars.map((e) => e.name)
        if (names.join('\n') !== msg.names.join('\n')) {
          adam.dispose()
          dispose()
          throw new Error(`a training worker's model has other parameters than rank 0's (${names.length} against ${msg.names.length})`)
        }
        if (msg.optimizer) adam.load(msg.optimizer)
        step = {
          ...ctx,
          dispose: () => {
            adam.dispose()
            dispose()
          },
        }
        post({ type: 'setup-done' })
      } else if (msg.type === 'step') {
        if (!step) throw new Error('a training worker was sent a step before its model')
        trainStepShard(step, msg.batch, msg.plan, msg.prior, msg.seed, msg.lr, collective)
      } else if (msg.type === 'stats') {
        const heap = wasmHeapBytes()
        post({ type: 'stats', heapMb: heap === null ? null : Math.round(heap / 1048576) })
      } else {
        step?.dispose()
        step = null
      }
    } catch (err) {
      fail(err)
    }
  }
  port.on('message', (msg: PeerRequest) => {
    queue = queue.then(() => handle(msg))
  })
}
