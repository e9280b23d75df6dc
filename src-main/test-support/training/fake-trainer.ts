/**
 * The scripted training worker (fake-trainer-worker.ts) as a worker script a TrainingService can
 * start, with its step time, validation series and crash point chosen by the test.
 */
import { resolveWorkerScript, type WorkerScript } from '../../ml/worker-script'

const ENTRY = 'src-main/test-support/training/fake-trainer-worker.ts'
const FLAG = '--fake-trainer='

/** Make the worker die at a given point, as a native crash ('exit') or an uncaught error ('throw') would. */
export interface WorkerFault {
  kind: 'exit' | 'throw'
  /** once a progress report of this epoch reaches this step */
  epoch: number
  step: number
}

export interface FakeTrainerOptions {
  /** how long each step takes (ms); default 5 */
  stepMs?: number
  /** validation `mse_de` per epoch, repeated; the default makes epoch 2 the best, not the last */
  val?: number[]
  fault?: WorkerFault
}

/** The worker script, given its options on its command line (they reach every worker it starts). */
export async function fakeTrainerScript(options: FakeTrainerOptions = {}): Promise<WorkerScript> {
  return { ...(await resolveWorkerScript(ENTRY)), argv: [FLAG + JSON.stringify(options)] }
}

/** Inside the worker: the options the test gave. */
export function fakeTrainerOptions(argv: readonly string[]): FakeTrainerOptions {
  const arg = argv.find((a) => a.startsWith(FLAG))
  return arg ? (JSON.parse(arg.slice(FLAG.length)) as FakeTrainerOptions) : {}
}
