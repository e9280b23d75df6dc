/**
 * The Design screen's files. The core writes them (`design:export-plan`, `design:export-heatmap`)
 * with the same builders as the CLI; the desktop shows a save dialog, browser mode downloads
 * the file the core wrote.
 */
import type { GiScoreName, HeatmapOrder } from '../../../src-shared/contract'
import { api } from '../../api/client'
import { deliverSaved, type ExportNote } from '../../exports/download'

export type { ExportNote }

export async function exportPlan(runId: number, items: string[], mapId: number | null): Promise<ExportNote | null> {
  return deliverSaved(await api.call('design:export-plan', { runId, items, ...(mapId !== null ? { mapId } : {}) }))
}

export async function exportHeatmap(mapId: number, score: GiScoreName, order: HeatmapOrder, format: 'png' | 'svg'): Promise<ExportNote | null> {
  return deliverSaved(await api.call('design:export-heatmap', { mapId, score, order, format }))
}
