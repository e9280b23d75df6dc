/** Domain records as they cross the contract (plain JSON: ISO timestamps, numbers, strings). */

export interface Project {
  id: number
  name: string
  createdAt: string
  updatedAt: string
  datasetCount: number
  runCount: number
}

export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled'

export interface RunSummary {
  id: number
  projectId: number
  datasetId: number | null
  model: string
  status: RunStatus
  createdAt: string
  finishedAt: string | null
  error: string | null
}

export interface ProjectDetail extends Project {
  recentRuns: RunSummary[]
}

export interface AppInfo {
  version: string
  home: string
  transport: 'desktop' | 'browser'
  schemaVersion: number
}
