/**
 * Saves a blob as a browser download. In Electron the same `<a download>` click opens the save
 * dialog, so there is one code path for both transports.
 */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  a.style.display = 'none'
  document.body.appendChild(a)
  a.click()
  a.remove()
  // The browser reads the blob after click() returns; revoking at once can cancel the download.
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}

// Shared with the core, which names the files it writes the same way.
export { safeFilename } from '../../src-shared/exports/file-name'
