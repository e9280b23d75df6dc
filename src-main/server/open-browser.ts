import { spawn } from 'node:child_process'

/**
 * Opens a URL in the user's browser when the machine has one to show (desktop session);
 * returns why not otherwise. Never throws: browser mode works without it.
 */
export function openBrowser(url: string, env: NodeJS.ProcessEnv = process.env): { opened: boolean; reason?: string } {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open'
  if (process.platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) {
    return { opened: false, reason: 'no graphical display (DISPLAY/WAYLAND_DISPLAY unset)' }
  }
  try {
    const child = spawn(cmd, [url], { detached: true, stdio: 'ignore' })
    child.on('error', () => undefined)
    child.unref()
    return { opened: true }
  } catch (err) {
    return { opened: false, reason: (err as Error).message }
  }
}
