/**
 * A prediction as files — the tidy table as CSV (with its provenance sidecar) or Excel, the
 * figure as SVG or PNG, the JSON — built from the shared table and chart builders, so the CLI,
 * prediction:export and the Predict screen produce the same files.
 */
import type { ConditionPrediction, ExportFormat, PredictionView, PredictResult } from '../../../src-shared/contract'
import { predictionFigure } from '../../../src-shared/charts/prediction-figure'
import { safeFilename } from '../../../src-shared/exports/file-name'
import { predictionTable } from '../../../src-shared/exports/prediction-table'
import type { TableFormat } from '../../../src-shared/exports/table'
import { DEFAULT_FIGURE_SIZE, renderChartPng, renderChartSvg, type RenderSize } from '../exports/render-chart'
import { tableFile } from '../exports/table-files'

export interface PredictionFile {
  kind: 'prediction-table' | 'prediction-figure' | 'prediction'
  format: ExportFormat
  fileName: string
  bytes: Buffer
  /** figures: the view drawn and the image's pixel size */
  view?: 'de' | 'top'
  width?: number
  height?: number
  /** a CSV table's provenance sidecar for its final file name */
  provenance?: ((fileName: string) => Buffer) | null
}

export function predictionStem(result: PredictResult, c?: ConditionPrediction): string {
  const what = c ? c.condition : result.conditions.length === 1 ? result.conditions[0].condition : `${result.conditions.length}-conditions`
  return safeFilename(`prediction-run${result.runId}-${what}`)
}

/** Every condition's rows in one table: CSV (+ provenance sidecar) or an Excel workbook with a Provenance sheet. */
export async function predictionTableFile(result: PredictResult, format: TableFormat = 'csv'): Promise<PredictionFile> {
  const f = await tableFile({ ...predictionTable(result, result.conditions), stem: predictionStem(result) }, format, result.appVersion)
  return { kind: 'prediction-table', format, fileName: f.fileName, bytes: f.bytes, provenance: f.provenance }
}

export function predictionJsonFile(result: PredictResult): PredictionFile {
  return { kind: 'prediction', format: 'json', fileName: `${predictionStem(result)}.json`, bytes: Buffer.from(JSON.stringify(result), 'utf8') }
}

/** One condition's figure (`auto`: the GEARS-style DE view when measured, else the top changes). */
export async function predictionFigureFile(result: PredictResult, c: ConditionPrediction, format: 'png' | 'svg', view: PredictionView = 'auto', size: RenderSize = DEFAULT_FIGURE_SIZE): Promise<PredictionFile> {
  const figure = predictionFigure(result, c, view)
  const fileName = `${predictionStem(result, c)}-${figure.view}.${format}`
  if (format === 'svg') {
    const svg = await renderChartSvg(figure.option, size)
    return { kind: 'prediction-figure', format, fileName, bytes: Buffer.from(svg, 'utf8'), view: figure.view, width: size.width, height: size.height }
  }
  const png = await renderChartPng(figure.option, size)
  return { kind: 'prediction-figure', format, fileName, bytes: png.png, view: figure.view, width: png.width, height: png.height }
}
