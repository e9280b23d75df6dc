/**
 * The prediction worker (`worker_threads`), its own bundle entry (electron.vite.config.ts emits
 * out/main/predict-worker.js; elsewhere predict-engine.ts builds it like the training worker).
 * Predicting a batch of conditions takes seconds on a large screen; here it never blocks the
 * main process (Electron's IPC and windows, the browser-mode server), and a loaded model stays
 * warm between requests.
 */
import { runPredictWorker } from './predict-worker-runtime'

runPredictWorker()
