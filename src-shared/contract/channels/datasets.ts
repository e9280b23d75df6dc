import { z } from 'zod'
import type { ConditionDe, DatasetDetail, DatasetPreview, DatasetSummary, DeHeatmap, DeTable } from '../datasets'
import { displayName, id, jobId } from '../names'
import { returns } from './define'

const path = z.string().trim().min(1, { error: 'A file or folder path is required' }).max(4096)
const format = z.enum(['auto', 'h5ad', '10x', 'csv'])
const orientation = z.enum(['cells-by-genes', 'genes-by-cells'])

const readOptions = {
  path,
  format: format.default('auto'),
  metadata: path.optional(),
  barcodeColumn: z.string().min(1).max(200).optional(),
  orientation: orientation.optional(),
}

export const datasetChannels = {
  'dataset:preview': returns<DatasetPreview>()(
    // With a project: the preview also names that project's datasets already holding this data.
    z.object({ ...readOptions, projectId: id('Project id').optional() }).strict(),
  ),
  'dataset:import': returns<DatasetSummary>()(
    z
      .object({
        ...readOptions,
        projectId: id('Project id'),
        name: displayName('Dataset name').optional(),
        conditionColumn: z.string().min(1, { error: 'Choose the column that names each cell’s perturbation' }).max(200),
        controlLabels: z.array(z.string().min(1).max(200)).max(50).default([]),
        jobId: jobId.optional(),
      })
      .strict(),
  ),
  'dataset:create-demo': returns<DatasetSummary>()(
    z.object({ projectId: id('Project id'), preset: z.enum(['small', 'norman-like']).default('small'), seed: z.number().int().min(0).default(1), jobId: jobId.optional() }).strict(),
  ),
  'dataset:list': returns<DatasetSummary[]>()(z.object({ projectId: id('Project id').optional() }).strict()),
  'dataset:get': returns<DatasetDetail>()(z.object({ id: id('Dataset id') }).strict()),
  'dataset:genes': returns<{ datasetId: number; genes: string[]; perturbed: string[] }>()(z.object({ id: id('Dataset id') }).strict()),
  'dataset:de': returns<ConditionDe>()(z.object({ id: id('Dataset id'), condition: z.string().min(1).max(500), top: z.number().int().min(1).max(200).default(20) }).strict()),
  'dataset:de-table': returns<DeTable>()(z.object({ id: id('Dataset id'), condition: z.string().min(1).max(500) }).strict()),
  'dataset:de-heatmap': returns<DeHeatmap>()(
    z
      .object({
        id: id('Dataset id'),
        genesPerCondition: z.number().int().min(1).max(20).default(5),
        maxGenes: z.number().int().min(2).max(100).default(40),
        maxConditions: z.number().int().min(2).max(200).default(40),
      })
      .strict(),
  ),
  'dataset:delete': returns<{ deleted: number }>()(z.object({ id: id('Dataset id') }).strict()),
} as const

export const jobChannels = {
  'job:cancel': returns<{ cancelled: boolean }>()(z.object({ jobId }).strict()),
} as const
