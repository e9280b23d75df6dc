import { app, BrowserWindow, dialog, ipcMain, session, shell, type IpcMainInvokeEvent, type WebContents } from 'electron'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { channelNames, CONTENT_SECURITY_POLICY, fail, IPC_EVENT, IPC_PREFIX, type ExportFormat } from '../../src-shared/contract'
import { createAppContext, type AppContext } from '../app-context'
import { resolveHome } from '../runtime/paths'

const here = path.dirname(fileURLToPath(import.meta.url))
const rendererIndex = path.join(here, '../renderer/index.html')
const preloadFile = path.join(here, '../preload/index.cjs')

/** The better-sqlite3 build for Electron's ABI, made by scripts/postinstall.js (Node keeps its own). */
function electronNativeBinding(): string | undefined {
  const candidates = [
    path.join(process.resourcesPath ?? '', 'native', 'better_sqlite3.node'),
    path.join(here, '../../resources/native/electron/better_sqlite3.node'),
  ]
  return candidates.find((p) => fs.existsSync(p))
}

function homeFromArgs(argv: string[]): string | undefined {
  const i = argv.indexOf('--home')
  return i >= 0 ? argv[i + 1] : undefined
}

const windows = new Set<WebContents>()

/** Only our own windows, showing our own page, may call the core. */
function trustedSender(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame
  if (!frame || !windows.has(event.sender)) return false
  return frame.url.startsWith('file://') && fileURLToPath(frame.url.split('#')[0].split('?')[0]) === rendererIndex
}

function bindIpc(context: AppContext) {
  for (const channel of channelNames) {
    ipcMain.handle(`${IPC_PREFIX}${channel}`, (event, input: unknown) => {
      if (!trustedSender(event)) return fail('ipc.untrusted-sender', 'This request did not come from a Perturb Studio window.')
      return context.router.dispatch(channel, input)
    })
  }
  context.events.subscribe((name, payload) => {
    for (const wc of windows) if (!wc.isDestroyed()) wc.send(IPC_EVENT, { event: name, payload })
  })
}

/** export:save's dialog: the core writes the chosen path from this process (null = cancelled). */
async function saveDialog({ fileName, format }: { fileName: string; format: ExportFormat }): Promise<string | null> {
  const win = BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0]
  const options = { defaultPath: path.join(app.getPath('downloads'), fileName), filters: [{ name: format.toUpperCase(), extensions: [format] }] }
  const r = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options)
  return r.canceled || !r.filePath ? null : r.filePath
}

function createWindow() {
  const win = new BrowserWindow({
    width: 1360,
    height: 880,
    minWidth: 960,
    minHeight: 640,
    title: 'Perturb Studio',
    show: false,
    webPreferences: {
      preload: preloadFile,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  })
  const wc = win.webContents
  windows.add(wc)
  win.on('closed', () => windows.delete(wc))
  // No navigation away from the app and no new windows; external links open in the system browser.
  wc.on('will-navigate', (e, url) => {
    if (url !== wc.getURL()) e.preventDefault()
  })
  wc.setWindowOpenHandler(({ url }) => {
    if (/^https:\/\//.test(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
  win.once('ready-to-show', () => win.show())
  void win.loadFile(rendererIndex)
}

async function main() {
  const home = resolveHome(homeFromArgs(process.argv))
  app.setPath('userData', home)
  await app.whenReady()

  // Defence in depth beside the page's own CSP meta tag: the one policy, as the server sends it.
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
      },
    })
  })
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))

  const context = createAppContext({ home, transport: 'desktop', nativeBinding: electronNativeBinding(), saveFile: saveDialog })
  bindIpc(context)
  createWindow()
  app.on('activate', () => BrowserWindow.getAllWindows().length === 0 && createWindow())
  app.on('window-all-closed', () => {
    context.close()
    app.quit()
  })
}

app.on('web-contents-created', (_e, contents) => {
  contents.on('will-attach-webview', (e) => e.preventDefault())
})

void main().catch((err) => {
  console.error(err)
  app.exit(1)
})
