import { describe, expect, it, vi } from 'vitest'
import { AppError, errorOf, fail, invalidInputOf } from '../src-shared/contract'
import { createRouter, type Handlers } from './router'

function handlers(overrides: Partial<Handlers> = {}): Handlers {
  const unused = () => {
    throw new Error('not called')
  }
  return {
    'app:info': () => ({ version: '0', home: '/h', transport: 'browser', schemaVersion: 1 }),
    'project:list': () => [],
    'project:get': unused,
    'project:create': ({ name }) => ({ id: 1, name, createdAt: '', updatedAt: '', datasetCount: 0, runCount: 0 }),
    'project:rename': unused,
    'project:delete': unused,
    ...overrides,
  } as Handlers
}

describe('router', () => {
  it('dispatches validated, transformed input to the handler', async () => {
    const r = await createRouter(handlers()).dispatch('project:create', { name: '  Screen  ' })
    expect(r).toMatchObject({ ok: true, data: { name: 'Screen' } })
  })

  it('answers an unknown channel without calling anything', async () => {
    const r = await createRouter(handlers()).dispatch('project:drop-all', {})
    expect(r).toEqual({ ok: false, error: { code: 'contract.unknown-channel', message: 'There is no channel "project:drop-all".' } })
  })

  it('refuses invalid input before the handler runs', async () => {
    const create = vi.fn()
    const r = await createRouter(handlers({ 'project:create': create })).dispatch('project:create', { name: '' })
    expect(create).not.toHaveBeenCalled()
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.error.code).toBe('contract.invalid-input')
      expect(r.error.message).toContain('name: Project name must not be empty')
    }
  })

  it('names each refused field as data, so a screen shows each message without parsing', async () => {
    const r = await createRouter(handlers()).dispatch('project:create', { name: '' })
    expect(r.ok ? null : invalidInputOf(errorOf(r.error))).toEqual({ channel: 'project:create', issues: [{ path: 'name', message: 'Project name must not be empty' }] })
  })

  it('treats a missing input as {} and still validates it', async () => {
    const r = await createRouter(handlers()).dispatch('project:create', undefined)
    expect(r.ok).toBe(false)
  })

  it('passes AppError codes through and reports other failures as internal', async () => {
    const onInternalError = vi.fn()
    const router = createRouter(
      handlers({
        'project:list': () => {
          throw new AppError('project.not-found', 'gone')
        },
        'app:info': () => {
          throw new TypeError('boom')
        },
      }),
      { onInternalError },
    )
    expect(await router.dispatch('project:list', {})).toEqual({ ok: false, error: { code: 'project.not-found', message: 'gone' } })
    const r = await router.dispatch('app:info', {})
    expect(r).toMatchObject({ ok: false, error: { code: 'internal' } })
    expect(onInternalError).toHaveBeenCalledOnce()
  })

  it('carries a refusal’s details as data, and no details key when it has none', async () => {
    const router = createRouter(
      handlers({
        'project:list': () => {
          throw new AppError('design.confirm-needed', 'large', { kind: 'map', estimate: { pairs: 7000 } })
        },
      }),
    )
    expect(await router.dispatch('project:list', {})).toStrictEqual({ ok: false, error: { code: 'design.confirm-needed', message: 'large', details: { kind: 'map', estimate: { pairs: 7000 } } } })
    expect(fail('project.not-found', 'gone')).toStrictEqual({ ok: false, error: { code: 'project.not-found', message: 'gone' } })
  })
})
