import { describe, expect, it } from 'vitest'
import { defaultDatasetName, sourceForDisplay } from './dataset-name'

describe('defaultDatasetName', () => {
  it('names a single file after the file, without its extension', () => {
    expect(defaultDatasetName(['papalexi2021_counts.h5ad'])).toBe('papalexi2021_counts')
    expect(defaultDatasetName(['/data/screens/thp1.csv.gz'])).toBe('thp1')
    expect(defaultDatasetName(['C:\\screens\\k562 screen.tsv'])).toBe('k562 screen')
  })

  it('names a 10x folder after the folder, never after its file list', () => {
    const files = ['matrix.mtx.gz', 'features.tsv.gz', 'barcodes.tsv.gz', 'cells.csv']
    expect(defaultDatasetName(files, '/home/me/datasets/papalexi2021/')).toBe('papalexi2021')
    expect(defaultDatasetName(['/home/me/papalexi2021'], '/home/me/papalexi2021')).toBe('papalexi2021')
    expect(defaultDatasetName(files)).not.toMatch(/files|matrix|,/)
  })

  it('skips upload ids and generic names for the files’ shared prefix or a telling file', () => {
    const upload = '/home/me/.perturb-studio/uploads/0123456789abcdef'
    expect(defaultDatasetName(['GSM4633614_matrix.mtx.gz', 'GSM4633614_features.tsv.gz', 'GSM4633614_barcodes.tsv.gz'], upload)).toBe('GSM4633614')
    expect(defaultDatasetName(['matrix.mtx.gz', 'features.tsv.gz', 'barcodes.tsv.gz', 'thp1_guides.csv'], upload)).toBe('thp1_guides')
    expect(defaultDatasetName(['matrix.mtx.gz', 'features.tsv.gz', 'barcodes.tsv.gz', 'cells.csv'], upload)).toBe('10x dataset')
    expect(defaultDatasetName([`${upload}/screen.h5ad`], upload)).toBe('screen')
  })

  it('keeps names short enough to store', () => {
    expect(defaultDatasetName([`${'x'.repeat(300)}.h5ad`]).length).toBe(120)
    expect(defaultDatasetName([])).toBe('dataset')
  })
})

describe('sourceForDisplay', () => {
  it('shows a browser upload by the file the user picked, never the server’s upload folder', () => {
    expect(sourceForDisplay('/home/me/.perturb-studio/uploads/0123456789abcdef/screen.h5ad')).toBe('uploaded screen.h5ad')
    expect(sourceForDisplay('C:\\Users\\me\\Perturb Studio\\uploads\\0123456789abcdef')).toBe('uploaded files')
    expect(sourceForDisplay('/data/papalexi2021')).toBe('/data/papalexi2021')
  })
})
