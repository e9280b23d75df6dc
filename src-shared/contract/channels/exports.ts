import { z } from 'zod'
import { id } from '../names'
import { returns } from './define'

/**
 * Exports: files the user saves from any screen (tables as CSV or Excel, PNG/SVG charts, JSON).
 * The core writes them — desktop: after a save dialog in the main process; browser mode: under
 * the data folder, handed back as a download URL on the token-checked server; CLI: under the data
 * folder — and records every one in the `exports` table. A CSV's provenance goes in a sidecar,
 * `<name>.provenance.txt`, written beside it at the same time (`txt` records).
 */

export const EXPORT_FORMATS = ['csv', 'xlsx', 'png', 'svg', 'json', 'txt'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

/** Largest export content accepted (the browser-mode server allows this body size for export:save and export:table). */
export const EXPORT_MAX_BYTES = 32 * 1024 * 1024

export const exportSaveSchema = z
  .object({
    /** what the file holds, e.g. `prediction-table`, `run-comparison-chart` */
    kind: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, { error: 'The export kind is 1–64 lowercase letters, digits or dashes' }),
    format: z.enum(EXPORT_FORMATS, { error: `The format is one of ${EXPORT_FORMATS.join(', ')}` }),
    /** suggested file name (the extension is added when missing; unsafe characters are replaced) */
    fileName: z.string().min(1, { error: 'The file name must not be empty' }).max(200),
    /** text (csv, svg, json, txt) or base64 (png, xlsx) */
    content: z.string().max(Math.ceil((EXPORT_MAX_BYTES * 4) / 3) + 4, { error: `The export is larger than ${EXPORT_MAX_BYTES / 1024 / 1024} MB` }),
    encoding: z.enum(['utf8', 'base64']).default('utf8'),
    projectId: id('Project id').optional(),
    runId: id('Run id').optional(),
  })
  .strict()
export type ExportSaveInput = z.input<typeof exportSaveSchema>

const cell = z.union([z.string(), z.number(), z.boolean(), z.null()])

/**
 * A table for the core to write as CSV (+ provenance sidecar) or Excel (`TableExport` in
 * src-shared/exports/table.ts): a screen hands its rows over and gets the same files as the CLI.
 */
export const exportTableSchema = z
  .object({
    kind: exportSaveSchema.shape.kind,
    format: z.enum(['csv', 'xlsx'], { error: 'The format is csv or xlsx' }).default('csv'),
    /** suggested file name (the extension follows the format) */
    fileName: z.string().min(1, { error: 'The file name must not be empty' }).max(200),
    tables: z
      .array(z.object({ sheet: z.string().min(1).max(200), columns: z.array(z.string()).min(1), rows: z.array(z.array(cell)) }).strict())
      .min(1, { error: 'A table export needs at least one table' })
      .max(50),
    provenance: z
      .object({
        what: z.string().min(1),
        knowledgeRelease: z.string().nullish(),
        dataset: z.string().nullish(),
        run: z.string().nullish(),
        model: z.string().nullish(),
        seed: z.union([z.number(), z.string()]).nullish(),
        extra: z.array(z.tuple([z.string(), z.union([z.string(), z.number()])])).optional(),
      })
      .strict(),
    projectId: id('Project id').optional(),
    runId: id('Run id').optional(),
  })
  .strict()
export type ExportTableInput = z.input<typeof exportTableSchema>

/** A CSV's provenance sidecar, written beside it (`pred.csv` → `pred.provenance.txt`). */
export interface ExportSidecar {
  exportId: number
  fileName: string
  path: string | null
  url: string | null
}

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
  /** a CSV table's provenance sidecar, saved with it; absent for other files */
  provenance?: ExportSidecar | null
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
  /** a table as CSV (plain header row; provenance in `<name>.provenance.txt` beside it) or Excel (data + Provenance sheets) */
  'export:table': returns<ExportSaved>()(exportTableSchema),
  'export:list': returns<ExportRecord[]>()(
    z.object({ projectId: id('Project id').optional(), runId: id('Run id').optional(), limit: z.number().int().min(1).max(10_000).default(200) }).strict(),
  ),
} as const
