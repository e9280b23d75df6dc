/**
 * The Predict screen's files. A stored prediction is exported by the core (`prediction:export`),
 * so the screen's CSV/Excel/PNG/SVG are the CLI's files; the desktop shows a save dialog, browser
 * mode downloads the file the core wrote (a CSV with its `<name>.provenance.txt`). Without a
 * stored prediction the screen hands the same table to the core's table writer (`export:table`)
 * and the figure from its chart to `export:save`; a core that cannot export yet gets a plain
 * download of the CSV or figure built here.
 */
import { AppError, type ConditionPrediction, type PredictResult } from '../../../src-shared/contract'
import { withExtension } from '../../../src-shared/exports/file-name'
import { predictionCsv, predictionTable } from '../../../src-shared/exports/prediction-table'
import type { TableFormat } from '../../../src-shared/exports/table'
import { api } from '../../api/client'
import { echarts, type ChartOption } from '../../charts/echarts'
import { downloadTable } from '../../exports/csv'
import { deliverSaved, saveBlob, type ExportNote } from '../../exports/download'

export type FigureFormat = 'png' | 'svg'
export type PredictExportFormat = TableFormat | FigureFormat

const MIME: Record<'csv' | FigureFormat, string> = { csv: 'text/csv;charset=utf-8', png: 'image/png', svg: 'image/svg+xml' }
const isTable = (f: PredictExportFormat): f is TableFormat => f === 'csv' || f === 'xlsx'

function unavailable(err: unknown): boolean {
  return err instanceof AppError && /\.unavailable$/.test(err.code)
}

export type { ExportNote }

export function fileStem(result: PredictResult, c: ConditionPrediction, view?: 'de' | 'top'): string {
  const suffix = view === 'de' ? '-de-genes' : view === 'top' ? '-top-changes' : ''
  return `prediction-${c.condition}-run${result.runId}${suffix}`
}

function base64Of(dataUrl: string): string {
  return dataUrl.slice(dataUrl.indexOf(',') + 1)
}

function bytesOf(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

/** The figure drawn off screen by ECharts' SVG renderer at the given size. */
function svgOf(option: ChartOption, width: number, height: number): string {
  const chart = echarts.init(null, undefined, { renderer: 'svg', ssr: true, width, height })
  try {
    chart.setOption(option)
    return chart.renderToSVGString()
  } finally {
    chart.dispose()
  }
}

export interface PredictExportRequest {
  result: PredictResult
  condition: ConditionPrediction
  format: PredictExportFormat
  /** the figure's view (png, svg) */
  view?: 'de' | 'top'
  /** the figure as shown, for a file built here */
  chart?: echarts.ECharts
  option?: ChartOption
}

/** Exports a prediction's table (CSV or Excel) or figure; returns a line for the user, or null when they cancelled. */
export async function exportPrediction(req: PredictExportRequest): Promise<ExportNote | null> {
  const { result, condition, format, view } = req
  const fileName = withExtension(fileStem(result, condition, isTable(format) ? undefined : view), format)
  if (condition.predictionId !== null) {
    try {
      return deliverSaved(await api.call('prediction:export', { id: condition.predictionId, format, view: isTable(format) ? 'auto' : (view ?? 'auto'), fileName }))
    } catch (err) {
      if (!unavailable(err)) throw err
    }
  }

  if (isTable(format)) {
    const table = predictionTable(result, [condition])
    try {
      return await downloadTable({ ...table, stem: fileName }, format, { projectId: result.projectId, runId: result.runId })
    } catch (err) {
      if (!unavailable(err) || format !== 'csv') throw err
    }
    saveBlob(new Blob([predictionCsv(result, [condition])], { type: MIME.csv }), fileName)
    return { text: `Downloaded ${fileName}`, path: null }
  }

  const chart = req.chart
  if (!chart || !req.option) throw new Error('The figure is not drawn yet; export it once it shows.')
  const png = format === 'png'
  const content = png ? base64Of(chart.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: '#ffffff' })) : svgOf(req.option, chart.getWidth(), chart.getHeight())
  try {
    return deliverSaved(await api.call('export:save', { kind: 'prediction-figure', format, fileName, content, encoding: png ? 'base64' : 'utf8', projectId: result.projectId, runId: result.runId }))
  } catch (err) {
    if (!unavailable(err)) throw err
  }
  saveBlob(new Blob([png ? bytesOf(content) : content], { type: MIME[format] }), fileName)
  return { text: `Downloaded ${fileName}`, path: null }
}
