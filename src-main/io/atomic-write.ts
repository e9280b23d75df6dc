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
  const target = atomicTarget(file)
  try {
    try {
      fs.writeFileSync(target.tmp, bytes)
    } catch (err) {
      // Another process removed the folder as it emptied it (checkpoint subfolders): once more.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      fs.mkdirSync(path.dirname(file), { recursive: true })
      fs.writeFileSync(target.tmp, bytes)
    }
    target.commit()
  } catch (err) {
    target.abort()
    throw err
  }
}

export interface AtomicTarget {
  /** Where to write (a file, or a folder for `commit` to swap in); beside the target, same file system. */
  readonly tmp: string
  /** Renames `tmp` over the target; a folder already there is moved aside and removed after. */
  commit(): void
  /** Removes `tmp` (file or folder) if it is there; safe to call after `commit` or twice. */
  abort(): void
}

/**
 * The streaming form of `writeFileAtomic`, for writers that cannot hand over one buffer (uploads
 * piped to disk, HDF5 files, SQLite databases, a built folder): write to `tmp`, then `commit()`;
 * on any failure `abort()`. The parent folder is created; nothing is created at `tmp`.
 */
export function atomicTarget(file: string): AtomicTarget {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  // The temp name must fit the file system's 255-byte limit even where the target's name just does:
  // a long name is cut (the pid and random part keep it unique).
  const base = path.basename(file)
  const stem = Buffer.byteLength(base) > 200 ? Buffer.from(base).subarray(0, 200).toString('utf8').replace(/\uFFFD+$/, '') : base
  const unique = `${process.pid}.${crypto.randomBytes(4).toString('hex')}`
  const tmp = path.join(path.dirname(file), `${stem}.${unique}.tmp`)
  return {
    tmp,
    commit() {
      let old: string | undefined
      if (fs.statSync(tmp).isDirectory() && fs.existsSync(file)) {
        old = path.join(path.dirname(file), `${stem}.${unique}.old`)
        fs.renameSync(file, old)
      }
      try {
        fs.renameSync(tmp, file)
      } catch (err) {
        if (old) fs.renameSync(old, file)
        throw err
      }
      if (old) fs.rmSync(old, { recursive: true, force: true })
    },
    abort() {
      fs.rmSync(tmp, { recursive: true, force: true })
    },
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
