/**
 * The engine's one worker script (`worker_threads`), bundled on its own (worker-script.ts). Its
 * spawn data names its role: a training worker (the default; started by the training service),
 * a data-parallel run's other workers (`peer`, started by the trainer, parallel/peer-runtime.ts)
 * or a prediction worker (`predict`, started by the prediction service). It knows nothing of IPC,
 * only the messages of worker-protocol.ts and its role's protocol.
 */
import { workerData } from 'node:worker_threads'
import { runPeer } from './parallel/peer-runtime'
import { runPredictWorker } from './predict-worker-runtime'
import { train } from './trainer'
import type { WorkerSpawn } from './worker-protocol'
import { runWorker } from './worker-runtime'

const role = (workerData as WorkerSpawn | null)?.role ?? 'train'
if (role === 'peer') runPeer()
else if (role === 'predict') runPredictWorker()
else runWorker(train)
