/**
 * The one long-lived training worker (`worker_threads`). Bundled on its own (see worker-script.ts)
 * and started by the training service; it knows nothing of IPC, only the messages of
 * worker-protocol.ts.
 */
import { train } from './trainer'
import { runWorker } from './worker-runtime'

runWorker(train)
