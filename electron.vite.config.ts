import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import { rendererConfig } from './vite.renderer.config'

// One build for the desktop app: main (Electron shell + core), preload, renderer.
// Native and wasm-carrying packages stay external and are loaded from node_modules at run time.
// webgpu (Dawn's .node binary) is an optional dependency; tfjs-backend-webgpu stays external so it
// registers into the one @tensorflow/tfjs-core the engine imports (ml/backend.ts).
const external = ['better-sqlite3', 'h5wasm', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'webgpu', '@tensorflow/tfjs-backend-webgpu', '@resvg/resvg-js']

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        // The engine's workers (training, data-parallel peers, prediction) are one entry of its
        // own: worker-script.ts finds out/main/worker.js beside index.js.
        input: {
          index: resolve(import.meta.dirname, 'src-main/desktop/main.ts'),
          worker: resolve(import.meta.dirname, 'src-main/ml/worker.ts'),
        },
        external,
      },
    },
  },
  preload: {
    build: {
      // A sandboxed preload cannot require() packages: bundle everything it uses into one file.
      externalizeDeps: false,
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'src-main/preload/index.ts') },
        // Sandboxed preloads must be a single CommonJS file.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: rendererConfig,
})
