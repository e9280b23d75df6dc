import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

/**
 * The one way the app writes a file it keeps: into a temp file beside the target (unique per
 * process and call), then renamed over the name, so a crash or a full disk never leaves half a
 * file under the final name and a reader sees the old file or the new one. On failure the temp
 * file is removed and the error (ENOSPC, EACCES…) is rethrown for the caller to word.
 */
export function writeFileAtomic(file: string, bytes: Uint8Array | string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  // The temp name must fit the file system's 255-byte limit even where the target's name just does:
  // a long name is cut (the pid and random part keep it unique).
  const base = path.basename(file)
  const stem = Buffer.byteLength(base) > 200 ? Buffer.from(base).subarray(0, 200).toString('utf8').replace(/\uFFFD+$/, '') : base
  const tmp = path.join(path.dirname(file), `${stem}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`)
  try {
    try {
      fs.writeFileSync(tmp, bytes)
    } catch (err) {
      // Another process removed the folder as it emptied it (checkpoint subfolders): once more.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      fs.mkdirSync(path.dirname(file), { recursive: true })
      fs.writeFileSync(tmp, bytes)
    }
    fs.renameSync(tmp, file)
  } catch (err) {
    fs.rmSync(tmp, { force: true })
    throw err
  }
}

/** Removes `dir` and its parents up to (not including) `root` while they are empty. */
export function removeEmptyDirs(dir: string, root: string): void {
  const stop = path.resolve(root)
  for (let d = path.resolve(dir); d.startsWith(stop + path.sep); d = path.dirname(d)) {
    try {
      fs.rmdirSync(d)
    } catch {
      return // not empty, or already gone
    }
  }
}
