/**
 * Which compute backends this machine offers, without loading any of them in the app's own
 * process (a native backend loaded there could not be unloaded, and a GPU one would hold the
 * device): packages found, a GPU visible. Once the worker has chosen, its real fallback
 * reasons replace these guesses.
 */
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import os from 'node:os'
import { COMPUTE_BACKENDS, type BackendAvailability, type BackendList, type ComputeBackend } from '../../../src-shared/contract'
import type { BackendInfo } from '../../ml/backend'

const require = createRequire(import.meta.url)

function packageVersion(pkg: string): string | null {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version
  } catch {
    return null
  }
}

function visibleGpu(): string | null {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] })
    return out.split('\n').map((l) => l.trim()).find(Boolean) ?? null
  } catch {
    return null
  }
}

const cpu = () => `${os.cpus()[0]?.model?.trim() || os.arch()} × ${os.cpus().length}`

let probed: BackendAvailability[] | null = null

function probe(): BackendAvailability[] {
  const gpuPkg = packageVersion('@tensorflow/tfjs-node-gpu')
  const gpu = gpuPkg ? visibleGpu() : null
  const nodePkg = packageVersion('@tensorflow/tfjs-node')
  const wasmPkg = packageVersion('@tensorflow/tfjs-backend-wasm')
  const webgpuPkg = packageVersion('webgpu')
  const webgpuBackendPkg = packageVersion('@tensorflow/tfjs-backend-webgpu')
  const core = packageVersion('@tensorflow/tfjs-core')
  return [
    {
      backend: 'tfjs-node-gpu',
      available: Boolean(gpuPkg && gpu),
      reason: !gpuPkg ? '@tensorflow/tfjs-node-gpu is not installed (optional; it needs CUDA and cuDNN)' : !gpu ? 'no CUDA GPU visible (nvidia-smi missing or lists none)' : null,
      device: gpu,
      version: gpuPkg,
    },
    {
      // Dawn is not loaded in the app's process (it would hold the GPU): whether the adapter is a
      // hardware one is found out by the worker, which skips a software one unless it is forced.
      backend: 'webgpu',
      available: Boolean(webgpuPkg && webgpuBackendPkg),
      reason: !webgpuPkg ? 'the webgpu package (Dawn for Node) is not installed (optional dependency)' : !webgpuBackendPkg ? '@tensorflow/tfjs-backend-webgpu is not installed' : null,
      device: webgpuPkg ? 'the GPU adapter is checked when the worker starts' : null,
      version: webgpuBackendPkg,
    },
    { backend: 'tfjs-node', available: Boolean(nodePkg), reason: nodePkg ? null : '@tensorflow/tfjs-node is not installed (optional; it downloads libtensorflow at install time)', device: nodePkg ? cpu() : null, version: nodePkg },
    { backend: 'wasm', available: Boolean(wasmPkg), reason: wasmPkg ? null : '@tensorflow/tfjs-backend-wasm is not installed', device: wasmPkg ? cpu() : null, version: wasmPkg },
    { backend: 'cpu', available: true, reason: null, device: cpu(), version: core },
  ]
}

/**
 * Availability by backend. `worker` (what a started worker chose, and why it skipped the ones
 * before) corrects the guesses; `workerIsAuto`: it chose without `--backend`, so it is the default.
 */
export function listBackends(worker: BackendInfo | null, workerIsAuto: boolean): BackendList {
  probed ??= probe()
  const list = probed.map((b) => ({ ...b }))
  if (worker) {
    for (const f of worker.fallbacks) {
      const b = list.find((x) => x.backend === f.backend)
      if (b) Object.assign(b, { available: false, reason: f.reason })
    }
    const chosen = list.find((x) => x.backend === worker.backend)
    if (chosen) Object.assign(chosen, { available: true, reason: null, device: worker.device, version: worker.versions.backendPackage })
  }
  // Before a worker has looked, webgpu's adapter is unknown (often a software one, which the order skips): not a guess for the default.
  const auto: ComputeBackend = worker && workerIsAuto ? worker.backend : (list.find((b) => b.available && b.backend !== 'webgpu')?.backend ?? 'cpu')
  return { backends: COMPUTE_BACKENDS.map((name) => list.find((b) => b.backend === name)!), auto, worker }
}
