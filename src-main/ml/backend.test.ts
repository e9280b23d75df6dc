import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { AppError } from '../../src-shared/contract/envelope'
import { adapterText, checkSingleCore, initBackend, isSoftwareAdapter } from './backend'

describe('initBackend', () => {
  it('falls back past the node backends that are not installed and records why', async () => {
    const lines: string[] = []
    const info = await initBackend({ log: (l) => lines.push(l) })
    // tfjs-node(-gpu) are optional and not installed here, and webgpu finds no hardware adapter
    // (at most lavapipe, which the order skips); a machine with them would stop earlier.
    expect(['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm']).toContain(info.backend)
    if (info.backend === 'wasm') {
      expect(info.fallbacks.map((f) => f.backend)).toEqual(['tfjs-node-gpu', 'webgpu', 'tfjs-node'])
      expect(info.fallbacks[1].reason).toMatch(/webgpu package .* not installed|no adapter|only a software adapter .* --backend webgpu|no GPU device on this machine .* --backend webgpu uses it anyway/)
      expect(info.fallbacks.every((f) => f.reason.length > 10)).toBe(true)
      expect(info).toMatchObject({ engineBackend: 'wasm', simd: true, threads: 1, versions: { tfjs: '4.22.0', backendPackage: '4.22.0' } })
      expect(info.customKernels).toEqual(['UnsortedSegmentSum', 'GatherV2'])
    }
    expect(tf.getBackend()).toBe(info.engineBackend)
    expect(info.device.length).toBeGreaterThan(0)
    expect(lines.at(-1)).toMatch(/^compute backend: /)
  })

  it('forces one backend and fails clearly when the forced one cannot load', async () => {
    const cpu = await initBackend({ prefer: 'cpu' })
    expect(cpu).toMatchObject({ backend: 'cpu', engineBackend: 'cpu', fallbacks: [] })
    expect(tf.getBackend()).toBe('cpu')
    let installed = true
    try {
      await initBackend({ prefer: 'tfjs-node' })
    } catch (err) {
      installed = false
      expect(err).toBeInstanceOf(AppError)
      expect((err as AppError).code).toBe('backend.unavailable')
      expect((err as AppError).message).toMatch(/tfjs-node backend cannot be used: .*not installed/)
    }
    if (installed) expect(tf.getBackend()).toBe('tensorflow')
    await expect(initBackend({ prefer: 'metal' as never })).rejects.toMatchObject({ code: 'backend.unknown' })
  })

  it('sees one tfjs-core from here and from the wasm backend, and refuses a package with its own copy', () => {
    expect(() => checkSingleCore(path.resolve('node_modules/@tensorflow/tfjs-backend-wasm'))).not.toThrow()
    expect(() => checkSingleCore(path.resolve('node_modules/@tensorflow/tfjs'))).not.toThrow()
    const pkg = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-dup-'))
    const nested = path.join(pkg, 'node_modules', '@tensorflow', 'tfjs-core')
    fs.mkdirSync(nested, { recursive: true })
    fs.writeFileSync(path.join(pkg, 'package.json'), '{"name":"fake-tfjs-node","version":"4.21.0"}')
    fs.writeFileSync(path.join(nested, 'package.json'), '{"name":"@tensorflow/tfjs-core","version":"4.21.0","main":"index.js"}')
    fs.writeFileSync(path.join(nested, 'index.js'), '')
    try {
      expect(() => checkSingleCore(pkg)).toThrow(/second tfjs-core/)
    } finally {
      fs.rmSync(pkg, { recursive: true, force: true })
    }
  })

  it('tells software WebGPU adapters (lavapipe, SwiftShader, WARP) from hardware ones by what Dawn reports', () => {
    // As Dawn reports them: Mesa 25's lavapipe here; an NVIDIA card on Vulkan; SwiftShader; an Apple GPU.
    expect(isSoftwareAdapter({ vendor: 'mesa', architecture: 'software', device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)' })).toBe(true)
    expect(isSoftwareAdapter({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader Device (Subzero)' })).toBe(true)
    expect(isSoftwareAdapter({ vendor: 'microsoft', description: 'Microsoft Basic Render Driver' })).toBe(true)
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3' })).toBe(false)
    expect(isSoftwareAdapter({ vendor: 'apple', architecture: 'metal-3', description: 'Apple M2 Pro' })).toBe(false)
    expect(isSoftwareAdapter({ vendor: 'nvidia', description: 'NVIDIA H100', isFallbackAdapter: true })).toBe(true)
    expect(adapterText({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3', software: false })).toBe('NVIDIA H100 80GB HBM3 (nvidia, hopper)')
    expect(adapterText({ vendor: 'mesa', architecture: 'software', description: 'llvmpipe', software: true })).toBe('llvmpipe (mesa, software) [software adapter]')
  })
})
