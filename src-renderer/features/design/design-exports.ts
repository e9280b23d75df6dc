/**
 * The Design screen's files. The core writes them (`design:export-plan`, `design:export-map`,
 * `design:export-heatmap`) with the same builders as the CLI; the desktop shows a save dialog,
 * browser mode downloads the file the core wrote. Tables are CSV (with the provenance sidecar
 * `<name>.provenance.txt`) or Excel (with a Provenance sheet).
 */
import type { GiScoreName, HeatmapOrder } from '../../../src-shared/contract'
import { api } from '../../api/client'
import { deliverSaved, type ExportNote } from '../../exports/download'

export type { ExportNote }

export async function exportPlan(runId: number, items: string[], mapId: number | null, format: 'csv' | 'xlsx' = 'csv'): Promise<ExportNote | null> {
  return deliverSaved(await api.call('design:export-plan', { runId, items, format, ...(mapId !== null ? { mapId } : {}) }))
}

/** A stored pair map as a table: every pair with all scores and calls. */
export async function exportMapTable(mapId: number, format: 'csv' | 'xlsx'): Promise<ExportNote | null> {
  return deliverSaved(await api.call('design:export-map', { mapId, format }))
}

export async function exportHeatmap(mapId: number, score: GiScoreName, order: HeatmapOrder, format: 'png' | 'svg'): Promise<ExportNote | null> {
  return deliverSaved(await api.call('design:export-heatmap', { mapId, score, order, format }))
}
