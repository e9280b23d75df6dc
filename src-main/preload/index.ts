import { contextBridge, ipcRenderer, webUtils } from 'electron'
import { channelNames, IPC_EVENT, IPC_PREFIX, type DesktopBridge } from '../../src-shared/contract'

// One named function per contract channel, generated from the channel map: the renderer never
// sees ipcRenderer itself.
const channels = Object.fromEntries(
  channelNames.map((name) => [name, (input: unknown) => ipcRenderer.invoke(`${IPC_PREFIX}${name}`, input)]),
) as DesktopBridge['channels']

const bridge: DesktopBridge = {
  channels,
  on(event, listener) {
    const handler = (_e: Electron.IpcRendererEvent, message: { event: string; payload: unknown }) => {
      if (message.event === event) (listener as (p: unknown) => void)(message.payload)
    }
    ipcRenderer.on(IPC_EVENT, handler)
    return () => ipcRenderer.removeListener(IPC_EVENT, handler)
  },
  pathForFile: (file) => webUtils.getPathForFile(file as File),
}

contextBridge.exposeInMainWorld('perturbStudio', bridge)
