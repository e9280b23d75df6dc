/**
 * The Design screen's files. The core writes them (`design:export-plan`, `design:export-heatmap`)
 * with the same builders as the CLI; the desktop shows a save dialog, browser mode downloads
 * the file the core wrote.
 */
import type { ExportSaved, GiScoreName, HeatmapOrder } from '../../../src-shared/contract'
import { api } from '../../api/client'

/** What to tell the user about a saved file: a short line, and where it is when it stays on this machine. */
export interface ExportNote {
  text: string
  path: string | null
}

/** A file the core wrote, handed to the user; returns what to tell them (null: they cancelled the dialog). */
function deliver(saved: ExportSaved): ExportNote | null {
  if (!saved.saved) return null
  if (saved.url) {
    const a = document.createElement('a')
    a.href = saved.url
    a.download = saved.fileName
    a.style.display = 'none'
    document.body.appendChild(a)
    a.click()
    a.remove()
  }
  return saved.url || !saved.path ? { text: `Downloaded ${saved.fileName}`, path: null } : { text: `Saved ${saved.fileName}`, path: saved.path }
}

export async function exportPlan(runId: number, items: string[], mapId: number | null): Promise<ExportNote | null> {
  return deliver(await api.call('design:export-plan', { runId, items, ...(mapId !== null ? { mapId } : {}) }))
}

export async function exportHeatmap(mapId: number, score: GiScoreName, order: HeatmapOrder, format: 'png' | 'svg'): Promise<ExportNote | null> {
  return deliver(await api.call('design:export-heatmap', { mapId, score, order, format }))
}
