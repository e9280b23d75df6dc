/**
 * Writes exported files and records each one in the `exports` table. Where a file goes depends
 * on the way in: the desktop asks the user with a save dialog (injected, so no Electron here) and
 * writes the chosen path from the main process; browser mode keeps the file under the data folder
 * and hands back a download URL that the token-checked server serves (`/download/<id>/<name>`);
 * the CLI writes the paths it is given. A CSV table comes with its provenance sidecar
 * (`<name>.provenance.txt`), written beside it at the same time and recorded as a `txt` export.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { AppError, type ExportFormat, type ExportRecord, type ExportSaved, type ExportSidecar, type ExportTableInput } from '../../../src-shared/contract'
import { safeFilename, withExtension } from '../../../src-shared/exports/file-name'
import { provenanceFileName } from '../../../src-shared/exports/provenance'
import type { TableExport, TableFormat } from '../../../src-shared/exports/table'
import { atomicTarget, removeEmptyDirs, type AtomicTarget } from '../../io/atomic-write'
import type { ExportsRepo } from '../../db/exports-repo'
import { tableFile } from './table-files'

/** Asks where to save; null when the user cancels. */
export type SaveFileDialog = (suggested: { fileName: string; format: ExportFormat }) => Promise<string | null>

export interface ExportServiceDeps {
  home: string
  transport: 'desktop' | 'browser' | 'cli'
  repo: ExportsRepo
  /** desktop: the main process's save dialog */
  saveFile?: SaveFileDialog
}

export interface ExportFile {
  kind: string
  format: ExportFormat
  fileName: string
  bytes: Uint8Array
  projectId?: number | null
  runId?: number | null
  /** a CSV table's provenance sidecar for the file's final name, written beside it (`<name>.provenance.txt`) */
  provenance?: ((fileName: string) => Uint8Array) | null
}

/** Folder under the data folder where browser-mode exports wait to be downloaded. */
export const EXPORTS_DIR = 'exports'

export const EXPORT_MIME: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  txt: 'text/plain; charset=utf-8',
  png: 'image/png',
  svg: 'image/svg+xml',
  json: 'application/json; charset=utf-8',
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
const ZIP_SIGNATURE = Buffer.from([0x50, 0x4b, 0x03, 0x04])

/** Refuses content that is not what its format says (a PNG that is not one, an SVG that is text). */
export function checkContent(format: ExportFormat, bytes: Uint8Array): void {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (format === 'png' && !b.subarray(0, 8).equals(PNG_SIGNATURE)) throw new AppError('export.invalid-content', 'The PNG export does not start with a PNG signature; send the image base64-encoded.')
  if (format === 'xlsx' && !b.subarray(0, 4).equals(ZIP_SIGNATURE)) throw new AppError('export.invalid-content', 'The Excel export is not an .xlsx (zip) file; send it base64-encoded.')
  if (format === 'svg' && !/^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(b.subarray(0, 512).toString('utf8'))) throw new AppError('export.invalid-content', 'The SVG export does not start with an <svg> element.')
  if (format === 'json') {
    try {
      JSON.parse(b.toString('utf8'))
    } catch (err) {
      throw new AppError('export.invalid-content', `The JSON export is not valid JSON: ${(err as Error).message}`)
    }
  }
}

/**
 * Writes each file beside its target and renames them into place together: every temp file is
 * written first (where a full disk or a missing permission fails), then all are renamed; if a
 * rename fails, the files already renamed are removed. So an export and its sidecar are both
 * there or neither is, and never half a file under either name.
 */
export function writeAtomic(list: { file: string; bytes: Uint8Array }[]): void {
  const targets: AtomicTarget[] = []
  const committed: string[] = []
  let current = list[0]?.file
  try {
    for (const f of list) {
      current = f.file
      const t = atomicTarget(f.file)
      targets.push(t)
      fs.writeFileSync(t.tmp, f.bytes)
    }
    list.forEach((f, i) => {
      current = f.file
      targets[i].commit()
      committed.push(f.file)
    })
  } catch (err) {
    for (const t of targets) t.abort()
    for (const f of committed) fs.rmSync(f, { force: true })
    throw new AppError('export.write-failed', `Cannot write ${current}: ${(err as Error).message}.`)
  }
}

export class ExportService {
  constructor(private readonly deps: ExportServiceDeps) {}

  /** export:save: decodes the content and saves it the way this transport saves files. */
  saveContent(input: { kind: string; format: ExportFormat; fileName: string; content: string; encoding: 'utf8' | 'base64'; projectId?: number; runId?: number }): Promise<ExportSaved> {
    const bytes = input.encoding === 'base64' ? Buffer.from(input.content, 'base64') : Buffer.from(input.content, 'utf8')
    return this.save({ kind: input.kind, format: input.format, fileName: input.fileName, bytes, projectId: input.projectId ?? null, runId: input.runId ?? null })
  }

  /**
   * export:table: a screen's table written as CSV + provenance sidecar or as Excel, by the same
   * writer as the CLI's (`tableFile`); `appVersion` names the app in the provenance.
   */
  async saveTable(input: ExportTableInput & { format: TableFormat }, appVersion: string): Promise<ExportSaved> {
    const doc: TableExport = { kind: input.kind, stem: input.fileName.replace(/\.(csv|xlsx)$/i, ''), tables: input.tables, provenance: input.provenance }
    const file = await tableFile(doc, input.format, appVersion)
    return this.save({ ...file, projectId: input.projectId ?? null, runId: input.runId ?? null })
  }

  async save(file: ExportFile): Promise<ExportSaved> {
    checkContent(file.format, file.bytes)
    const fileName = withExtension(file.fileName, file.format)
    if (this.deps.transport === 'desktop') {
      if (!this.deps.saveFile) throw new AppError('export.no-dialog', 'This window cannot show a save dialog.')
      const chosen = await this.deps.saveFile({ fileName, format: file.format })
      if (!chosen) return { exportId: null, saved: false, fileName, path: null, url: null, bytes: 0 }
      return this.writeTo(chosen, file)
    }
    // Browser mode and the CLI keep the file under the data folder, in a folder of its own.
    const rel = path.join(EXPORTS_DIR, crypto.randomBytes(8).toString('hex'), fileName)
    const saved = this.writeTo(path.join(this.deps.home, rel), { ...file, fileName })
    if (this.deps.transport !== 'browser') return saved
    const url = (id: number | null, name: string) => `/download/${id}/${encodeURIComponent(name)}`
    const provenance = saved.provenance && { ...saved.provenance, path: null, url: url(saved.provenance.exportId, saved.provenance.fileName) }
    return { ...saved, path: null, url: url(saved.exportId, fileName), provenance }
  }

  /**
   * Writes exactly `target` (the CLI's --csv FILE, the desktop's chosen path) and records it; a
   * CSV table's provenance sidecar is written beside it at the same time and recorded too.
   */
  writeTo(target: string, file: ExportFile): ExportSaved {
    checkContent(file.format, file.bytes)
    const abs = path.resolve(target)
    const sidecar = file.provenance ? path.join(path.dirname(abs), provenanceFileName(path.basename(abs))) : null
    if (sidecar === abs) throw new AppError('export.write-failed', `${abs} would be overwritten by its own provenance file; choose a name that does not end in .provenance.txt.`)
    writeAtomic([{ file: abs, bytes: file.bytes }, ...(sidecar && file.provenance ? [{ file: sidecar, bytes: file.provenance(path.basename(abs)) }] : [])])
    const ids = { projectId: file.projectId ?? null, runId: file.runId ?? null }
    const record = this.deps.repo.insert({ ...ids, kind: file.kind, format: file.format, path: abs })
    let provenance: ExportSidecar | null = null
    if (sidecar) {
      const side = this.deps.repo.insert({ ...ids, kind: `${file.kind}-provenance`.slice(0, 64), format: 'txt', path: sidecar })
      provenance = { exportId: side.id, fileName: path.basename(sidecar), path: sidecar, url: null }
    }
    return { exportId: record.id, saved: true, fileName: path.basename(abs), path: abs, url: null, bytes: file.bytes.byteLength, provenance }
  }

  /** Takes back an export just written (a command that failed after it keeps nothing): its file and its record, and its sidecar's. */
  discard(saved: number | Pick<ExportSaved, 'exportId' | 'provenance'>): void {
    const ids = typeof saved === 'number' ? [saved] : [saved.exportId, saved.provenance?.exportId]
    for (const id of ids) {
      const record = id == null ? undefined : this.deps.repo.get(id)
      if (!record) continue
      fs.rmSync(record.path, { force: true })
      this.deps.repo.delete(record.id)
    }
  }

  list(filter: { projectId?: number; runId?: number; limit: number }): ExportRecord[] {
    return this.deps.repo.list(filter)
  }

  /**
   * The file behind a browser-mode download URL. Only exports kept under the data folder's
   * exports/ are served, never a path a desktop user chose elsewhere.
   */
  download(id: number, name?: string): { file: string; fileName: string; mime: string } {
    const record = this.deps.repo.get(id)
    const root = path.join(this.deps.home, EXPORTS_DIR) + path.sep
    if (!record || !record.path.startsWith(root) || (name !== undefined && path.basename(record.path) !== name) || !fs.existsSync(record.path)) {
      throw new AppError('export.not-found', `No downloadable export ${id}.`)
    }
    return { file: record.path, fileName: path.basename(record.path), mime: EXPORT_MIME[record.format] }
  }

  /**
   * Taken before a project is deleted: a function that removes the files exported for it that the
   * app keeps under the data folder's exports/ (the cascade removes their rows). A file a user saved
   * elsewhere (the CLI's --csv FILE, a desktop save dialog) is theirs and is left alone.
   */
  projectFilesRemover(projectId: number): () => void {
    const root = path.join(this.deps.home, EXPORTS_DIR)
    const files = this.deps.repo.pathsOfProject(projectId).filter((f) => f.startsWith(root + path.sep))
    return () => {
      for (const f of files) {
        fs.rmSync(f, { force: true })
        removeEmptyDirs(path.dirname(f), root)
      }
    }
  }

  /** A suggested file name: `<stem>.<format>`, safe on every OS. */
  static fileName(stem: string, format: ExportFormat): string {
    return withExtension(safeFilename(stem), format)
  }
}
