/**
 * The one long-lived training worker (`worker_threads`). Bundled on its own (see worker-script.ts)
 * and started by the training service; it knows nothing of IPC, only the messages of
 * worker-protocol.ts. The same script runs a data-parallel run's other workers (`role: 'peer'`,
 * parallel/peer-runtime.ts), started by the trainer itself.
 */
import { workerData } from 'node:worker_threads'
import { runPeer } from './parallel/peer-runtime'
import { train } from './trainer'
import { runWorker } from './worker-runtime'

if ((workerData as { role?: string } | null)?.role === 'peer') runPeer()
else runWorker(train)
