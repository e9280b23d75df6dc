/** Running the CLI in-process in tests: its exit code and everything it printed. */
import { expect } from 'vitest'
import { runCli } from '../cli/main'

export async function runCliCaptured(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await runCli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) })
  return { code, stdout, stderr }
}

/** Exactly one JSON document on stdout (what --json promises), parsed. */
export function oneJson<T = unknown>(stdout: string): T {
  const lines = stdout.trim().split('\n')
  expect(lines).toHaveLength(1)
  return JSON.parse(lines[0]) as T
}
