/**
 * Input files that cannot be read, for the readers' error tests. Tests often run as root, where
 * `chmod 000` stops nothing; there the failure is injected into node:fs, below every reader.
 */
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { vi } from 'vitest'

function errno(code: string, syscall: string, file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated failure, ${syscall} '${file}'`), { code, syscall, path: file })
}

type Callback = (...args: unknown[]) => void
const lastCallback = (args: unknown[]) => args[args.length - 1] as Callback

// the real functions, taken before any test replaces them
const real = { openSync: fs.openSync, open: fs.open, read: fs.read }

/** path → the failure injected for it; fds opened on a path whose reads fail */
const faults = new Map<string, { open?: string; read?: string }>()
const failingFds = new Map<number, { code: string; file: string }>()

/** Routes fs.openSync, fs.open and fs.read through `faults` (once; `vi.restoreAllMocks()` undoes it). */
function inject(file: string, fault: { open?: string; read?: string }): void {
  if (!vi.isMockFunction(fs.openSync)) {
    faults.clear()
    failingFds.clear()
    const opened = (p: unknown, fd: number) => {
      const f = typeof p === 'string' ? faults.get(path.resolve(p)) : undefined
      if (f?.read) failingFds.set(fd, { code: f.read, file: path.resolve(p as string) })
    }
    vi.spyOn(fs, 'openSync').mockImplementation(((p: fs.PathLike, ...rest: unknown[]) => {
      const f = typeof p === 'string' ? faults.get(path.resolve(p)) : undefined
      if (f?.open) throw errno(f.open, 'open', path.resolve(p as string))
      const fd = (real.openSync as (...a: unknown[]) => number)(p, ...rest)
      opened(p, fd)
      return fd
    }) as typeof fs.openSync)
    vi.spyOn(fs, 'open').mockImplementation(((p: fs.PathLike, ...rest: unknown[]) => {
      const cb = lastCallback(rest)
      const f = typeof p === 'string' ? faults.get(path.resolve(p)) : undefined
      if (f?.open) {
        process.nextTick(cb, errno(f.open, 'open', path.resolve(p as string)))
        return
      }
      ;(real.open as (...a: unknown[]) => void)(p, ...rest.slice(0, -1), (err: unknown, fd: number) => {
        if (!err) opened(p, fd)
        cb(err, fd)
      })
    }) as typeof fs.open)
    vi.spyOn(fs, 'read').mockImplementation(((fd: number, ...rest: unknown[]) => {
      const f = failingFds.get(fd)
      if (f) {
        process.nextTick(lastCallback(rest), errno(f.code, 'read', f.file))
        return
      }
      ;(real.read as (...a: unknown[]) => void)(fd, ...rest)
    }) as typeof fs.read)
  }
  faults.set(path.resolve(file), fault)
}

export type UnreadableHow = 'chmod' | 'injected'

/**
 * Makes `file` unreadable as `chmod 000` does for a normal user (its `stat` still succeeds):
 * chmod 000 itself when not root; as root, opening that path through node:fs fails with EACCES
 * (fs.openSync, and fs.open, which createReadStream uses), the calls every reader and stream opens
 * files through. `vi.restoreAllMocks()` ends the injection; `restoreReadable` undoes the chmod.
 */
export function makeUnreadable(file: string): UnreadableHow {
  if (process.getuid?.() !== 0) {
    fs.chmodSync(file, 0)
    return 'chmod'
  }
  inject(file, { open: 'EACCES' })
  return 'injected'
}

/** Restores what `makeUnreadable` changed on disk (chmod), so the temp folder can be removed. */
export function restoreReadable(file: string, how: UnreadableHow): void {
  if (how === 'chmod') fs.chmodSync(file, 0o644)
}

/**
 * Every read of `file` after it is opened fails with `code` (EIO: a failing disk): opens succeed,
 * the stream's reads (fs.read) call back with the error. `vi.restoreAllMocks()` ends it.
 */
export function failReads(file: string, code = 'EIO'): void {
  inject(file, { read: code })
}

/** A 3-gene × 4-cell 10x folder with a cells.csv beside it (features gzipped, the rest plain), at `dir`. */
export function writeTinyTenx(dir: string): string {
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, 'features.tsv.gz'), zlib.gzipSync('G1\tSTAT1\tGene Expression\nG2\tTNMD\tGene Expression\nG3\tTSPAN6\tGene Expression\n'))
  fs.writeFileSync(path.join(dir, 'barcodes.tsv'), 'AAAC-1\nAAAG-1\nAACC-1\nAAGT-1\n')
  fs.writeFileSync(path.join(dir, 'matrix.mtx'), '%%MatrixMarket matrix coordinate integer general\n3 4 5\n1 1 3\n2 1 1\n3 2 4\n1 3 2\n2 4 7\n')
  fs.writeFileSync(path.join(dir, 'cells.csv'), 'barcode,condition\nAAAC-1,ctrl\nAAAG-1,STAT1\nAACC-1,ctrl\nAAGT-1,TNMD\n')
  return dir
}
