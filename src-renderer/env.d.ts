/// <reference types="vite/client" />
declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, unknown>
  export default component
}

import type { DesktopBridge } from '../src-shared/contract/bridge'
declare global {
  interface Window {
    /** Present only in the desktop app (exposed by the preload). */
    perturbStudio?: DesktopBridge
  }
}
