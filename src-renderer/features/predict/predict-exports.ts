/**
 * The Predict screen's files. A stored prediction is exported by the core (`prediction:export`),
 * so the screen's CSV/PNG/SVG are the CLI's files byte for byte; the desktop shows a save dialog,
 * browser mode downloads the file the core wrote. Without a stored prediction (or a core that
 * cannot export yet) the screen builds the same CSV with the shared builder and the figure from
 * its chart, and saves them through `export:save`, else as a plain download.
 */
import { AppError, type ConditionPrediction, type PredictResult } from '../../../src-shared/contract'
import { withExtension } from '../../../src-shared/exports/file-name'
import { predictionCsv } from '../../../src-shared/exports/prediction-table'
import { api } from '../../api/client'
import { echarts, type ChartOption } from '../../charts/echarts'
import { deliverSaved, saveBlob, type ExportNote } from '../../exports/download'

export type FigureFormat = 'png' | 'svg'
export type PredictExportFormat = 'csv' | FigureFormat

const MIME: Record<PredictExportFormat, string> = { csv: 'text/csv;charset=utf-8', png: 'image/png', svg: 'image/svg+xml' }

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

/** Exports a prediction's table or figure; returns a line for the user, or null when they cancelled. */
export async function exportPrediction(req: PredictExportRequest): Promise<ExportNote | null> {
  const { result, condition, format, view } = req
  const fileName = withExtension(fileStem(result, condition, format === 'csv' ? undefined : view), format)
  if (condition.predictionId !== null) {
    try {
      return deliverSaved(await api.call('prediction:export', { id: condition.predictionId, format, view: format === 'csv' ? 'auto' : (view ?? 'auto'), fileName }))
    } catch (err) {
      if (!unavailable(err)) throw err
    }
  }

  let content: string
  let encoding: 'utf8' | 'base64' = 'utf8'
  if (format === 'csv') content = predictionCsv(result, [condition])
  else {
    const chart = req.chart
    if (!chart || !req.option) throw new Error('The figure is not drawn yet; export it once it shows.')
    if (format === 'png') {
      content = base64Of(chart.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: '#ffffff' }))
      encoding = 'base64'
    } else content = svgOf(req.option, chart.getWidth(), chart.getHeight())
  }
  try {
    return deliverSaved(
      await api.call('export:save', {
        kind: format === 'csv' ? 'prediction-table' : 'prediction-figure',
        format,
        fileName,
        content,
        encoding,
        projectId: result.projectId,
        runId: result.runId,
      }),
    )
  } catch (err) {
    if (!unavailable(err)) throw err
  }
  saveBlob(new Blob([encoding === 'base64' ? bytesOf(content) : content], { type: MIME[format] }), fileName)
  return { text: `Downloaded ${fileName}`, path: null }
}
