import { csvText, type CsvCell } from '../../src-shared/exports/csv'
import { saveBlob } from './download'
import { provenanceLines, type Provenance } from './provenance'

// The builder lives in src-shared so the CLI writes identical files; re-exported for the screens.
export { csvText, type CsvCell }

/** Builds the CSV with its provenance header and saves it as a download (UTF-8). */
export async function downloadCsv(filename: string, columns: string[], rows: CsvCell[][], provenance: Provenance): Promise<void> {
  const text = csvText(columns, rows, await provenanceLines(provenance))
  saveBlob(new Blob([text], { type: 'text/csv;charset=utf-8' }), filename.endsWith('.csv') ? filename : `${filename}.csv`)
}
