import { InvalidArgumentError } from 'commander'

/**
 * The argument parser of `--csv FILE` / `--xlsx FILE` on the commands that export tables: a file
 * named for the other format (`--csv plan.xlsx`) is refused at once, with the option to use,
 * rather than written in a format its extension misnames.
 */
export function tableFileArg(format: 'csv' | 'xlsx'): (value: string) => string {
  const other = format === 'csv' ? 'xlsx' : 'csv'
  return (value) => {
    if (new RegExp(`\\.${other}$`, 'i').test(value.trim())) throw new InvalidArgumentError(`--${format} writes ${format === 'csv' ? 'CSV' : 'an Excel workbook'}; for ${value} use --${other} ${value}.`)
    return value
  }
}
