import { resolve } from 'node:path'
import vue from '@vitejs/plugin-vue'
import { defineConfig, type UserConfig } from 'vite'

/**
 * The renderer build, shared by the desktop build (electron.vite.config.ts) and browser mode
 * (`npm run build:renderer`, served by `perturb-studio serve`). Same UI, same output folder.
 */
export const rendererConfig: UserConfig = {
  root: resolve(import.meta.dirname, 'src-renderer'),
  base: './',
  plugins: [vue()],
  build: {
    outDir: resolve(import.meta.dirname, 'out/renderer'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    rollupOptions: { input: resolve(import.meta.dirname, 'src-renderer/index.html') },
  },
}

export default defineConfig(rendererConfig)
