/**
 * Chooses the TensorFlow.js compute backend once per process (the training worker calls it at start).
 *
 * Order: tfjs-node-gpu (CUDA) → webgpu (Dawn's Node binding, a hardware adapter only) → tfjs-node
 * (libtensorflow, CPU) → wasm (SIMD) → cpu (pure JS). Each step is tried in try/catch and the reason
 * it was skipped is kept in `fallbacks`, so the run can store and show why it ended up where it did.
 * `prefer` forces one backend and fails with a clear `backend.unavailable` error if it cannot load;
 * `prefer: 'webgpu'` also takes a software adapter (lavapipe, SwiftShader: tests), which the
 * automatic order never does — on a CPU it is far slower than wasm.
 *
 * One tfjs-core only. Every model file imports `@tensorflow/tfjs`; the node backends are loaded with
 * `require` from this package's location, so they resolve the same `@tensorflow/tfjs` (they depend
 * on it at exactly 4.22.0) and register their `tensorflow` backend into it. Pitfalls:
 *  - a nested node_modules copy after a version mismatch: in 4.x the engine, kernel registry and
 *    Tensor class are shared through globalThis, so the first copy loaded wins and the other copy's
 *    kernels run against it; `checkSingleCore` refuses that case with the paths in the reason;
 *  - a bundle that inlines @tensorflow/tfjs while tfjs-node (native, external) requires the copy in
 *    node_modules: keep @tensorflow/tfjs external in the main/worker bundle (electron-vite
 *    externalises dependencies by default) so there is one module instance;
 *  - the ESM `module` build (dist/index.js) and the CJS `main` build loaded side by side by a
 *    bundler: same effect; Node and vitest resolve `main` for both.
 * tfjs-node and tfjs-node-gpu cannot both load in one process (same native symbols and backend name).
 */
import { createRequire } from 'node:module'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { COMPUTE_BACKENDS, type ComputeBackend, type RunAdapter, type RunBackend } from '../../src-shared/contract/channels/training'
import { AppError } from '../../src-shared/contract/envelope'
import { setNodeGpu } from './ops/tensor-path'
import { registerCpuKernels } from './kernels/cpu-kernels'
import { registerWasmKernels } from './kernels/wasm-kernels'

/** Declared once in the contract, in the order they are tried. */
export type BackendName = ComputeBackend
export const BACKEND_ORDER: readonly BackendName[] = COMPUTE_BACKENDS

/** What was chosen, its device, versions and custom kernels, and the backends skipped and why (the contract's `RunBackend`). */
export type BackendInfo = RunBackend

export interface InitBackendOptions {
  /** Force one backend (`--backend`); throws `backend.unavailable` if it cannot load. */
  prefer?: BackendName
  log?: (message: string) => void
}

const require = createRequire(import.meta.url)

export function isBackendName(value: string): value is BackendName {
  return (BACKEND_ORDER as readonly string[]).includes(value)
}

/**
 * wasm and cpu compute on one core (the engine's typed-array kernels; no wasm thread pool): work
 * split over worker threads runs on several. tfjs-node and the GPU backends use every core or the
 * device themselves.
 */
export function computesOnOneCore(backend: string): boolean {
  return backend === 'wasm' || backend === 'cpu'
}

export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const log = options.log ?? (() => {})
  if (options.prefer !== undefined && !isBackendName(options.prefer)) {
    throw new AppError('backend.unknown', `Unknown backend "${String(options.prefer)}"; choose one of ${BACKEND_ORDER.join(', ')}.`)
  }
  const candidates = options.prefer ? [options.prefer] : BACKEND_ORDER
  const fallbacks: BackendInfo['fallbacks'] = []
  for (const name of candidates) {
    try {
      const info = await LOADERS[name](options.prefer === name)
      info.fallbacks = fallbacks
      log(`compute backend: ${name} (${info.device})`)
      return info
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err)
      fallbacks.push({ backend: name, reason })
      log(`compute backend ${name} unavailable: ${reason}`)
    }
  }
  if (options.prefer) {
    throw new AppError('backend.unavailable', `The ${options.prefer} backend cannot be used: ${fallbacks[0]?.reason ?? 'unknown reason'}. Run without --backend to fall back automatically.`)
  }
  // Unreachable in practice: the cpu backend ships with @tensorflow/tfjs.
  throw new AppError('backend.unavailable', `No compute backend could be loaded: ${fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')}`)
}

const LOADERS: Record<BackendName, (forced: boolean) => Promise<BackendInfo>> = {
  'tfjs-node-gpu': async () => {
    // Without a GPU, libtensorflow silently runs on the CPU; and the two node packages cannot both be
    // loaded in one process (same native symbols, same backend name), so check first.
    const gpu = gpuName()
    if (!gpu) throw new Error('no CUDA GPU visible (nvidia-smi missing or lists none)')
    const info = await loadNode('@tensorflow/tfjs-node-gpu', 'tfjs-node-gpu', gpu)
    setNodeGpu(true)
    return info
  },
  webgpu: (forced) => loadWebgpu(forced),
  'tfjs-node': async () => loadNode('@tensorflow/tfjs-node', 'tfjs-node', cpuName()),
  wasm: async () => {
    const wasm = await import('@tensorflow/tfjs-backend-wasm')
    // The default path is next to the bundle that contains the backend's JS, which is wrong once the
    // app is bundled; the package's own dist folder holds the .wasm files (asar must unpack it).
    const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep
    wasm.setWasmPaths(dist)
    await setBackendOrThrow('wasm')
    const customKernels = registerWasmKernels()
    const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean
    return {
      backend: 'wasm',
      engineBackend: 'wasm',
      device: cpuName(),
      versions: { tfjs: tf.version_core, backendPackage: wasm.version_wasm },
      simd,
      threads: wasm.getThreadsCount(),
      customKernels,
      fallbacks: [],
    }
  },
  cpu: async () => {
    await setBackendOrThrow('cpu')
    const customKernels = registerCpuKernels()
    return { backend: 'cpu', engineBackend: 'cpu', device: cpuName(), versions: { tfjs: tf.version_core, backendPackage: tf.version_core }, customKernels, fallbacks: [] }
  },
}

async function loadNode(pkg: string, name: BackendName, device: string): Promise<BackendInfo> {
  let pkgJson: string
  try {
    pkgJson = require.resolve(`${pkg}/package.json`)
  } catch {
    throw new Error(`${pkg} is not installed (optional dependency; it downloads libtensorflow at install time)`)
  }
  checkSingleCore(path.dirname(pkgJson))
  // Loading binds libtensorflow (and CUDA/cuDNN for the GPU build); failures name the missing library.
  const mod = require(pkg) as { version?: Record<string, string> }
  await setBackendOrThrow('tensorflow')
  return {
    backend: name,
    engineBackend: 'tensorflow',
    device,
    versions: { tfjs: tf.version_core, backendPackage: mod.version?.[name] ?? (require(pkgJson) as { version: string }).version },
    customKernels: [],
    fallbacks: [],
  }
}

/** Throws when the backend package would load a tfjs-core other than ours (see the file comment). */
export function checkSingleCore(packageDir: string): void {
  const ours = require.resolve('@tensorflow/tfjs-core')
  let theirs: string
  try {
    theirs = createRequire(path.join(packageDir, 'package.json')).resolve('@tensorflow/tfjs-core')
  } catch {
    return
  }
  if (ours !== theirs) throw new Error(`it would load a second tfjs-core (${theirs}) beside ours (${ours}); reinstall so npm dedupes @tensorflow/tfjs`)
}

/** tf.setBackend logs the cause with console.warn and returns false; keep that message as the reason. */
async function setBackendOrThrow(engineName: string): Promise<void> {
  const warnings: string[] = []
  const warn = console.warn
  console.warn = (...args: unknown[]) => warnings.push(args.map(String).join(' '))
  let ok: boolean
  try {
    ok = await tf.setBackend(engineName)
  } finally {
    console.warn = warn
  }
  if (!ok || tf.getBackend() !== engineName) {
    throw new Error(`tf.setBackend('${engineName}') failed${warnings.length ? `: ${warnings.join(' ').split('\n')[0]}` : ''}`)
  }
  // A smoke op catches a backend that registers but cannot run kernels (read asynchronously:
  // webgpu has no synchronous read in Node). Large enough that webgpu runs it on the GPU, not on
  // its CPU hand-off for small tensors.
  const t = tf.tidy(() => tf.sum(tf.add(tf.fill([4096], 1), tf.fill([4096], 2))))
  const sum = (await t.data())[0]
  t.dispose()
  if (sum !== 3 * 4096) throw new Error(`backend ${engineName} computed Σ(1 + 2) over 4,096 values = ${sum}`)
}

/** What makes an adapter a CPU fallback: Dawn's flag, or the names lavapipe, SwiftShader and WARP report. */
const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|software|microsoft basic render|\bwarp\b/i

export function isSoftwareAdapter(info: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean }): boolean {
  if (info.isFallbackAdapter) return true
  return [info.vendor, info.architecture, info.device, info.description].some((s) => typeof s === 'string' && SOFTWARE_ADAPTER.test(s))
}

/** The adapter as one line: its description (else device), vendor and architecture. */
export function adapterText(a: RunAdapter): string {
  const detail = [a.vendor, a.architecture].filter(Boolean).join(', ')
  const name = a.description || detail || 'unnamed adapter'
  return `${name}${detail && a.description ? ` (${detail})` : ''}${a.software ? ' [software adapter]' : ''}`
}

interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean }
  isFallbackAdapter?: boolean
}

let webgpuInfo: BackendInfo | null = null

/** Whether Linux exposes a GPU a Vulkan driver could run on: a DRM render node or an NVIDIA device. */
function linuxGpuDevice(): boolean {
  try {
    if (fs.readdirSync('/dev/dri').some((n) => n.startsWith('renderD'))) return true
  } catch {
    // no /dev/dri
  }
  try {
    return fs.readdirSync('/dev').some((n) => /^nvidia\d+$/.test(n))
  } catch {
    return false
  }
}

/**
 * WebGPU through the `webgpu` package (Dawn; its prebuilt `dawn.node` ships in the npm package) and
 * @tensorflow/tfjs-backend-webgpu, which registers its backend only if `navigator.gpu` exists when
 * it is imported. The adapter is asked for first, with tfjs' own request (high-performance), so a
 * machine whose only adapter is a software one (Mesa's lavapipe on a server without a GPU) is
 * skipped with that reason unless the backend was forced.
 */
async function loadWebgpu(forced: boolean): Promise<BackendInfo> {
  if (webgpuInfo && tf.getBackend() === 'webgpu') return { ...webgpuInfo, fallbacks: [] }
  let pkgJson: string
  try {
    pkgJson = require.resolve('webgpu/package.json')
  } catch {
    throw new Error('the webgpu package (Dawn for Node) is not installed (optional dependency)')
  }
  checkSingleCore(path.dirname(require.resolve('@tensorflow/tfjs-backend-webgpu/package.json')))
  // A Linux machine with no GPU device node can only offer a software adapter, which is never chosen
  // unforced: skip it before loading Dawn (~0.2 s, ~66 MB and two limit warnings on stderr per worker).
  if (!forced && process.platform === 'linux' && !linuxGpuDevice()) throw new Error('no GPU device on this machine (no /dev/dri/renderD* or /dev/nvidia*), so only a software adapter; --backend webgpu uses it anyway')
  // The Vulkan loader wants a writable XDG_RUNTIME_DIR on Linux (it prints errors without one).
  if (process.platform === 'linux' && !process.env.XDG_RUNTIME_DIR) {
    const dir = path.join(os.tmpdir(), `perturb-studio-xdg-${process.getuid?.() ?? 'user'}`)
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
      process.env.XDG_RUNTIME_DIR = dir
    } catch {
      // Only warnings follow without it.
    }
  }
  const g = globalThis as unknown as { navigator?: { gpu?: { requestAdapter(o?: object): Promise<GpuAdapterLike | null> } } }
  if (!g.navigator?.gpu) {
    const dawn = (await import('webgpu')) as unknown as { create(flags: string[]): unknown; globals: Record<string, unknown> }
    Object.assign(globalThis, dawn.globals)
    const gpu = dawn.create([])
    if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true })
    else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true })
  }
  const adapter = await g.navigator!.gpu!.requestAdapter({ powerPreference: 'high-performance' })
  if (!adapter) throw new Error('WebGPU offers no adapter here (no Vulkan, Metal or D3D12 device; Linux servers need a GPU driver or Mesa ≥ 24 for lavapipe)')
  const raw = adapter.info ?? {}
  const info: RunAdapter = {
    vendor: raw.vendor ?? '',
    architecture: raw.architecture ?? '',
    description: raw.description || raw.device || '',
    software: isSoftwareAdapter({ ...raw, isFallbackAdapter: raw.isFallbackAdapter ?? adapter.isFallbackAdapter }),
  }
  if (info.software && !forced) throw new Error(`only a software adapter (${adapterText(info)}), slower than wasm; --backend webgpu uses it anyway`)
  await import('@tensorflow/tfjs-backend-webgpu')
  await setBackendOrThrow('webgpu')
  webgpuInfo = {
    backend: 'webgpu',
    engineBackend: 'webgpu',
    device: adapterText(info),
    adapter: info,
    versions: { tfjs: tf.version_core, backendPackage: `${(require('@tensorflow/tfjs-backend-webgpu/package.json') as { version: string }).version} (dawn webgpu ${(require(pkgJson) as { version: string }).version})` },
    customKernels: [],
    fallbacks: [],
  }
  return { ...webgpuInfo }
}

function cpuName(): string {
  const cpus = os.cpus()
  return `${cpus[0]?.model?.trim() || os.arch()} × ${cpus.length}`
}

function gpuName(): string | null {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] })
    const first = out.split('\n').map((l) => l.trim()).find(Boolean)
    return first ?? null
  } catch {
    return null
  }
}
