/**
 * What openpyxl (an independent reader, run with a python from `pythonWith(['openpyxl'])`) makes of
 * an .xlsx: every sheet's cell values row by row, with each cell's type, so a test sees that
 * numbers came back as numbers (not text) and to full precision (JSON floats round-trip exactly).
 */
import { spawnSync } from 'node:child_process'

const READ_XLSX = `
import sys, json, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
out = {}
for ws in wb.worksheets:
    out[ws.title] = {
        "rows": [[c.value for c in row] for row in ws.iter_rows()],
        "types": [[type(c.value).__name__ for c in row] for row in ws.iter_rows()],
        "frozen": ws.freeze_panes,
    }
print(json.dumps({"sheets": out, "order": wb.sheetnames}))
`

export interface XlsxSheet {
  rows: (string | number | boolean | null)[][]
  /** Python type names per cell: `str`, `float`, `int`, `bool`, `NoneType` */
  types: string[][]
  frozen: string | null
}

export function readXlsx(python: string, file: string): { sheets: Record<string, XlsxSheet>; order: string[] } {
  const r = spawnSync(python, ['-c', READ_XLSX, file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
  if (r.status !== 0) throw new Error(`openpyxl could not read ${file}: ${r.stderr || r.error}`)
  return JSON.parse(r.stdout) as { sheets: Record<string, XlsxSheet>; order: string[] }
}
