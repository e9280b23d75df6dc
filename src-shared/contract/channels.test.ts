import { describe, expect, it } from 'vitest'
import { channels, isChannelName } from './channels'

describe('contract validation', () => {
  const create = channels['project:create'].input

  it('trims project names and accepts ordinary ones, Unicode included', () => {
    expect(create.parse({ name: '  THP-1 IFN-γ screen ' })).toEqual({ name: 'THP-1 IFN-γ screen' })
  })

  it.each([
    ['empty', '', 'must not be empty'],
    ['blank', '   ', 'must not be empty'],
    ['10,000 characters', 'x'.repeat(10_000), 'at most 200'],
    ['control characters', 'a\u0000b', 'control characters'],
  ])('refuses a %s name with a message that says why', (_label, name, message) => {
    const r = create.safeParse({ name })
    expect(r.success).toBe(false)
    expect(r.error!.issues[0].message).toContain(message)
  })

  it('refuses unknown fields and wrong types', () => {
    expect(create.safeParse({ name: 'ok', extra: 1 }).success).toBe(false)
    expect(create.safeParse({ name: 42 }).success).toBe(false)
    expect(channels['project:delete'].input.safeParse({ id: -1 }).success).toBe(false)
    expect(channels['project:delete'].input.safeParse({ id: 1.5 }).success).toBe(false)
  })

  it('knows its channel names', () => {
    expect(isChannelName('project:create')).toBe(true)
    expect(isChannelName('toString')).toBe(false)
    expect(isChannelName('project:drop')).toBe(false)
  })
})
