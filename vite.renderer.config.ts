import { resolve } from 'node:path'
import vue from '@vitejs/plugin-vue'
import { defineConfig, type Plugin, type UserConfig } from 'vite'
import { CONTENT_SECURITY_POLICY_META } from './src-shared/contract/content-security-policy'

/** Writes the one policy (src-shared) into index.html's CSP meta tag, so no copy can drift. */
function contentSecurityPolicy(): Plugin {
  const meta = /(<meta\s+http-equiv="Content-Security-Policy"\s+content=")[^"]*(")/
  return {
    name: 'perturb-studio-csp',
    transformIndexHtml(html) {
      if (!meta.test(html)) throw new Error('index.html has no Content-Security-Policy meta tag to fill')
      return html.replace(meta, `$1${CONTENT_SECURITY_POLICY_META}$2`)
    },
  }
}

/**
 * The renderer build, shared by the desktop build (electron.vite.config.ts) and browser mode
 * (`npm run build:renderer`, served by `perturb-studio serve`). Same UI, same output folder.
 */
export const rendererConfig: UserConfig = {
  root: resolve(import.meta.dirname, 'src-renderer'),
  base: './',
  plugins: [vue(), contentSecurityPolicy()],
  build: {
    outDir: resolve(import.meta.dirname, 'out/renderer'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    rollupOptions: { input: resolve(import.meta.dirname, 'src-renderer/index.html') },
  },
}

export default defineConfig(rendererConfig)
