/**
 * Writes exported files and records each one in the `exports` table. Where a file goes depends
 * on the way in: the desktop asks the user with a save dialog (injected, so no Electron here) and
 * writes the chosen path from the main process; browser mode keeps the file under the data folder
 * and hands back a download URL that the token-checked server serves (`/download/<id>/<name>`);
 * the CLI writes the paths it is given.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { AppError, type ExportFormat, type ExportRecord, type ExportSaved } from '../../../src-shared/contract'
import { safeFilename, withExtension } from '../../../src-shared/exports/file-name'
import { removeEmptyDirs, writeFileAtomic } from '../../io/atomic-write'
import type { ExportsRepo } from '../../db/exports-repo'

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
}

/** Folder under the data folder where browser-mode exports wait to be downloaded. */
export const EXPORTS_DIR = 'exports'

export const EXPORT_MIME: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  png: 'image/png',
  svg: 'image/svg+xml',
  json: 'application/json; charset=utf-8',
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

/** Refuses content that is not what its format says (a PNG that is not one, an SVG that is text). */
export function checkContent(format: ExportFormat, bytes: Uint8Array): void {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (format === 'png' && !b.subarray(0, 8).equals(PNG_SIGNATURE)) throw new AppError('export.invalid-content', 'The PNG export does not start with a PNG signature; send the image base64-encoded.')
  if (format === 'svg' && !/^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(b.subarray(0, 512).toString('utf8'))) throw new AppError('export.invalid-content', 'The SVG export does not start with an <svg> element.')
  if (format === 'json') {
    try {
      JSON.parse(b.toString('utf8'))
    } catch (err) {
      throw new AppError('export.invalid-content', `The JSON export is not valid JSON: ${(err as Error).message}`)
    }
  }
}

/** Writes beside the target and renames, so a failed write never leaves half a file under the name. */
export function writeAtomic(file: string, bytes: Uint8Array): void {
  try {
    writeFileAtomic(file, bytes)
  } catch (err) {
    throw new AppError('export.write-failed', `Cannot write ${file}: ${(err as Error).message}.`)
  }
}

export class ExportService {
  constructor(private readonly deps: ExportServiceDeps) {}

  /** export:save: decodes the content and saves it the way this transport saves files. */
  saveContent(input: { kind: string; format: ExportFormat; fileName: string; content: string; encoding: 'utf8' | 'base64'; projectId?: number; runId?: number }): Promise<ExportSaved> {
    const bytes = input.encoding === 'base64' ? Buffer.from(input.content, 'base64') : Buffer.from(input.content, 'utf8')
    return this.save({ kind: input.kind, format: input.format, fileName: input.fileName, bytes, projectId: input.projectId ?? null, runId: input.runId ?? null })
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
    return this.deps.transport === 'browser' ? { ...saved, path: null, url: `/download/${saved.exportId}/${encodeURIComponent(fileName)}` } : saved
  }

  /** Writes exactly `target` (the CLI's --csv FILE, the desktop's chosen path) and records it. */
  writeTo(target: string, file: ExportFile): ExportSaved {
    checkContent(file.format, file.bytes)
    const abs = path.resolve(target)
    writeAtomic(abs, file.bytes)
    const record = this.deps.repo.insert({ projectId: file.projectId ?? null, runId: file.runId ?? null, kind: file.kind, format: file.format, path: abs })
    return { exportId: record.id, saved: true, fileName: path.basename(abs), path: abs, url: null, bytes: file.bytes.byteLength }
  }

  /** Takes back an export just written (a command that failed after it keeps nothing): its file and its record. */
  discard(id: number): void {
    const record = this.deps.repo.get(id)
    if (!record) return
    fs.rmSync(record.path, { force: true })
    this.deps.repo.delete(id)
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
