import { z } from 'zod'
import { id } from '../names'
import { returns } from './define'

/**
 * Exports: files the user saves from any screen (CSV tables, PNG/SVG charts, JSON). The core
 * writes them — desktop: after a save dialog in the main process; browser mode: under the data
 * folder, handed back as a download URL on the token-checked server; CLI: under the data folder —
 * and records every one in the `exports` table.
 */

export const EXPORT_FORMATS = ['csv', 'png', 'svg', 'json'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

/** Largest export content accepted (the browser-mode server allows this body size for export:save). */
export const EXPORT_MAX_BYTES = 32 * 1024 * 1024

export const exportSaveSchema = z
  .object({
    /** what the file holds, e.g. `prediction-table`, `run-comparison-chart` */
    kind: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, { error: 'The export kind is 1–64 lowercase letters, digits or dashes' }),
    format: z.enum(EXPORT_FORMATS, { error: `The format is one of ${EXPORT_FORMATS.join(', ')}` }),
    /** suggested file name (the extension is added when missing; unsafe characters are replaced) */
    fileName: z.string().min(1, { error: 'The file name must not be empty' }).max(200),
    /** text (csv, svg, json) or base64 (png) */
    content: z.string().max(Math.ceil((EXPORT_MAX_BYTES * 4) / 3) + 4, { error: `The export is larger than ${EXPORT_MAX_BYTES / 1024 / 1024} MB` }),
    encoding: z.enum(['utf8', 'base64']).default('utf8'),
    projectId: id('Project id').optional(),
    runId: id('Run id').optional(),
  })
  .strict()
export type ExportSaveInput = z.input<typeof exportSaveSchema>

export interface ExportSaved {
  /** the `exports` row; null when nothing was written */
  exportId: number | null
  /** false when the user cancelled the save dialog */
  saved: boolean
  fileName: string
  /** where it was written (desktop, CLI) */
  path: string | null
  /** browser mode: GET this (same origin, token-checked) to download the file */
  url: string | null
  bytes: number
}

export interface ExportRecord {
  id: number
  projectId: number | null
  runId: number | null
  kind: string
  format: ExportFormat
  /** absolute path, or the data-folder copy served for download */
  path: string
  createdAt: string
}

export const exportChannels = {
  'export:save': returns<ExportSaved>()(exportSaveSchema),
  'export:list': returns<ExportRecord[]>()(
    z.object({ projectId: id('Project id').optional(), runId: id('Run id').optional(), limit: z.number().int().min(1).max(10_000).default(200) }).strict(),
  ),
} as const
