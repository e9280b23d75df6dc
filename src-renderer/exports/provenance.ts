// Provenance is formatted in src-shared and the core writes the files, so tables from the screens
// and the CLI carry the same provenance (the CSV's sidecar, the workbook's Provenance sheet).
export type { Provenance } from '../../src-shared/exports/provenance'
