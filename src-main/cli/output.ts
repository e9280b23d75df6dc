import { errorOf, type Envelope } from '../../src-shared/contract'

export interface CliIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
}

export const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
}

/**
 * Writes a command's result. With --json exactly one JSON document goes to stdout;
 * otherwise the human-readable text (or, when none is given, indented JSON).
 */
export class CliOutput {
  constructor(
    private readonly io: CliIo,
    readonly json: boolean,
  ) {}

  result(data: unknown, human?: string): void {
    if (this.json) this.io.stdout(`${JSON.stringify(data)}\n`)
    else this.io.stdout(`${human ?? JSON.stringify(data, null, 2)}\n`)
  }

  /** Progress and notes: stderr, so stdout stays one JSON document. */
  info(text: string): void {
    this.io.stderr(`${text}\n`)
  }

  /** With --json the error's `details` (facts a script can act on) travel too. */
  error(code: string, message: string, details?: Record<string, unknown>): void {
    if (this.json) this.io.stdout(`${JSON.stringify({ error: details === undefined ? { code, message } : { code, message, details } })}\n`)
    else this.io.stderr(`Error (${code}): ${message}\n`)
  }
}

/** Unwraps a router envelope for the CLI: data, or an AppError with the same code. */
export function unwrap<T>(envelope: Envelope<T>): T {
  if (!envelope.ok) throw errorOf(envelope.error)
  return envelope.data
}

export function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return '(none)'
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)))
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => String(r[c] ?? ''))))].join('\n')
}
