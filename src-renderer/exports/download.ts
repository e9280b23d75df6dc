import type { ExportSaved } from '../../src-shared/contract'

/**
 * Saves a blob as a browser download. In Electron the same `<a download>` click opens the save
 * dialog, so there is one code path for both transports.
 */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob)
  clickDownload(url, filename)
  // The browser reads the blob after click() returns; revoking at once can cancel the download.
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}

/** What to tell the user about a saved file: a short line, and where it is when it stays on this machine. */
export interface ExportNote {
  text: string
  path: string | null
}

function clickDownload(url: string, fileName: string): void {
  const a = document.createElement('a')
  a.href = url
  a.download = fileName
  a.style.display = 'none'
  document.body.appendChild(a)
  a.click()
  a.remove()
}

/**
 * Hands the user a file the core wrote (`ExportSaved`): browser mode downloads it from the URL the
 * core gave, and a CSV's provenance sidecar (`<name>.provenance.txt`) as a second download right
 * after it, so the two land side by side in the downloads folder; the desktop already saved both
 * through its dialog (the sidecar beside the chosen file). Returns what to tell the user (null:
 * they cancelled the dialog).
 */
export function deliverSaved(saved: ExportSaved): ExportNote | null {
  if (!saved.saved) return null
  const side = saved.provenance ?? null
  if (saved.url) clickDownload(saved.url, saved.fileName)
  if (side?.url) clickDownload(side.url, side.fileName)
  const also = side ? ` and its provenance ${side.fileName}` : ''
  return saved.url || !saved.path ? { text: `Downloaded ${saved.fileName}${also}`, path: null } : { text: `Saved ${saved.fileName}${also}`, path: saved.path }
}

// Shared with the core, which names the files it writes the same way.
export { safeFilename } from '../../src-shared/exports/file-name'
