/**
 * The name a new dataset gets when the user does not type one: the file's name without its
 * extension, or the folder's name for a 10x folder, never a list of file names or an upload id.
 */

const EXTENSIONS = /\.(h5ad|mtx|csv|tsv|txt)(\.gz)?$|\.gz$/i
/** 10x / Cell Ranger file names and cell-metadata names that say nothing about the screen. */
const GENERIC = /^(matrix|features|genes|barcodes|cells?|metadata|meta|obs|cell[_-]?metadata|filtered[_-]feature[_-]bc[_-]matrix|raw[_-]feature[_-]bc[_-]matrix|outs|counts|data|uploads?)$/i
/** Upload batch ids and temp folders: 16 hex characters, `tmp…`, a UUID. */
const MACHINE = /^([a-f0-9]{16}|tmp[\w-]*|[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})$/i

const baseName = (p: string) => p.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? ''
const stem = (name: string) => baseName(name).replace(EXTENSIONS, '')
const useful = (s: string) => s.length > 0 && !GENERIC.test(s) && !MACHINE.test(s)

/** Shared start of the names (`GSM123_matrix`, `GSM123_barcodes` → `GSM123`), trimmed of separators. */
function commonPrefix(names: string[]): string {
  if (names.length < 2) return ''
  let prefix = names[0]
  for (const n of names.slice(1)) while (!n.startsWith(prefix)) prefix = prefix.slice(0, -1)
  return prefix.replace(/[\s._-]+$/, '')
}

/**
 * A default dataset name.
 * - `files`: the file names or paths chosen (one file, or the files of a 10x folder);
 * - `folder`: the folder they came from, when known (a typed path, a dropped folder).
 * A one-file dataset is named after the file; a 10x folder after the folder, else the files'
 * shared prefix, else a telling metadata file, else "10x dataset". At most 120 characters.
 */
export function defaultDatasetName(files: readonly string[], folder?: string): string {
  const stems = files.map(stem).filter(Boolean)
  const folderName = folder ? stem(folder) : ''
  let name = ''
  if (files.length === 1 && useful(stems[0] ?? '')) name = stems[0]
  else if (useful(folderName)) name = folderName
  else {
    const prefix = commonPrefix(stems)
    const telling = stems.find((s) => useful(s))
    name = prefix.length >= 3 && useful(prefix) ? prefix : (telling ?? (stems.length > 1 ? '10x dataset' : (stems[0] ?? '')))
  }
  return (name || 'dataset').slice(0, 120)
}

/** A browser-mode upload's place in the data folder: `…/uploads/<16 hex>/…`. */
const UPLOAD_PATH = /^(.*)[\\/]uploads[\\/][a-f0-9]{16}(?:[\\/](.+))?$/

/**
 * Where a dataset came from, for the screen: the path the user chose, or for a browser upload the
 * file's own name ("uploaded screen.h5ad", "uploaded files") instead of the server's upload folder.
 */
export function sourceForDisplay(sourcePath: string): string {
  const m = UPLOAD_PATH.exec(sourcePath)
  if (!m) return sourcePath
  return m[2] ? `uploaded ${m[2]}` : 'uploaded files'
}
