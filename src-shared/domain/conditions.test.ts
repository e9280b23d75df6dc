import { describe, expect, it } from 'vitest'
import {
  canonicalCondition,
  conditionLabel,
  conditionGenes,
  formatCondition,
  guideTarget,
  isControl,
  looksLikeControlLabel,
  mapToConditions,
  suggestConditionColumns,
  suggestControlLabels,
} from './conditions'

describe('GEARS condition strings', () => {
  it('parses every layout GEARS writes into a sorted gene set', () => {
    expect(conditionGenes('ctrl')).toEqual([])
    expect(conditionGenes('STAT1+ctrl')).toEqual(['STAT1'])
    expect(conditionGenes('ctrl+STAT1')).toEqual(['STAT1'])
    expect(conditionGenes('KLF1+CEBPA')).toEqual(['CEBPA', 'KLF1'])
    expect(conditionGenes(' C+A+B ')).toEqual(['A', 'B', 'C'])
  })

  it('formats one canonical form whatever the order', () => {
    expect(canonicalCondition('ctrl+STAT1')).toBe('STAT1+ctrl')
    expect(canonicalCondition('KLF1+CEBPA')).toBe('CEBPA+KLF1')
    expect(canonicalCondition('CEBPA+KLF1')).toBe('CEBPA+KLF1')
    expect(canonicalCondition('C+A+B')).toBe('A+B+C')
    expect(canonicalCondition('ctrl')).toBe('ctrl')
    expect(formatCondition([])).toBe('ctrl')
    expect(formatCondition(['B', 'A', 'B'])).toBe('A+B')
  })

  it('tells control from perturbation', () => {
    expect(isControl('ctrl')).toBe(true)
    expect(isControl('A+ctrl')).toBe(false)
  })

  it('rejects malformed conditions with a dataset.invalid-condition error', () => {
    for (const bad of ['', '  ', 'A++B', '+A', 'non targeting+ctrl']) {
      expect(() => conditionGenes(bad)).toThrowError(expect.objectContaining({ code: 'dataset.invalid-condition' }))
    }
  })
})

describe('control labels and column suggestions', () => {
  it('recognises control labels case-insensitively, also as guide names', () => {
    for (const v of ['ctrl', 'Control', 'non-targeting', 'Non_Targeting', 'NT', 'ntc', 'safe-targeting', 'scramble', 'Scrambled', 'NTg10', 'NegCtrl0']) expect(looksLikeControlLabel(v), v).toBe(true)
    for (const v of ['STAT1', 'NT5E', 'CTRL1A', 'IFNGR1g2']) expect(looksLikeControlLabel(v), v).toBe(false)
  })

  it('strips guide-number suffixes only from guide names', () => {
    expect(guideTarget('STAT1g2')).toBe('STAT1')
    expect(guideTarget('MARCH8g4')).toBe('MARCH8')
    expect(guideTarget('NTg10')).toBe('NT')
    expect(guideTarget('STAT1')).toBe('STAT1')
    expect(guideTarget('ENSG00000115415')).toBe('ENSG00000115415')
  })

  it('suggests control labels by frequency', () => {
    expect(suggestControlLabels(['A', 'non-targeting', 'B', 'non-targeting', 'NT', null])).toEqual([
      { label: 'non-targeting', cells: 2 },
      { label: 'NT', cells: 1 },
    ])
  })

  it('ranks the condition column first and the GEARS key column low', () => {
    const n = 30
    const rep = (xs: string[]) => Array.from({ length: n }, (_, i) => xs[i % xs.length])
    const cols = [
      { name: 'cell_type', values: rep(['THP-1']) },
      { name: 'barcode', values: Array.from({ length: n }, (_, i) => `cell${i}`) },
      { name: 'guide', values: rep(['STAT1g1', 'NTg2', 'IRF1g3']) },
      { name: 'target', values: rep(['STAT1', 'non-targeting', 'IRF1']) },
      { name: 'condition_name', values: rep(['THP-1_STAT1+ctrl_1+1', 'THP-1_ctrl_1']) },
      { name: 'condition', values: rep(['STAT1+ctrl', 'ctrl']) },
      { name: 'replicate', values: rep(['rep_1', 'rep_2']) },
    ]
    const s = suggestConditionColumns(cols)
    expect(s.map((c) => c.name)).toEqual(['condition', 'target', 'guide', 'condition_name'])
    expect(s[0].kind).toBe('condition')
    expect(s[1]).toMatchObject({ kind: 'target', controlLabels: [{ label: 'non-targeting', cells: 10 }] })
    expect(s[2].kind).toBe('guide')
  })

  it('ranks by name alone when no values are given', () => {
    const s = suggestConditionColumns([{ name: 'batch' }, { name: 'sgRNA' }, { name: 'perturbation' }, { name: 'Gene' }])
    expect(s.map((c) => c.name)).toEqual(['perturbation', 'Gene', 'sgRNA'])
  })
})

describe('mapToConditions', () => {
  it('maps a target column with a control label', () => {
    const m = mapToConditions(['STAT1', 'non-targeting', 'IRF1', 'STAT1'], { controlLabels: ['non-targeting'] })
    expect(m.conditions).toEqual(['STAT1+ctrl', 'ctrl', 'IRF1+ctrl', 'STAT1+ctrl'])
    expect(m.controlCells).toBe(1)
    expect(m.counts).toEqual([
      { condition: 'STAT1+ctrl', cells: 2 },
      { condition: 'IRF1+ctrl', cells: 1 },
      { condition: 'ctrl', cells: 1 },
    ])
    expect(m.unmapped).toEqual([])
  })

  it('maps guide names to their gene and control guides to ctrl', () => {
    const m = mapToConditions(['STAT1g2', 'NTg10', 'IFNGR1g1', 'STAT1_3'], { controlLabels: ['NT'] })
    expect(m.conditions).toEqual(['STAT1+ctrl', 'ctrl', 'IFNGR1+ctrl', 'STAT1+ctrl'])
  })

  it('maps multi-gene values in any separator and order to one condition', () => {
    const m = mapToConditions(['KLF1_CEBPA', 'CEBPA+KLF1', 'KLF1;CEBPA', 'AHR_NegCtrl0__AHR_NegCtrl0', 'NegCtrl0_NegCtrl0__NegCtrl0_NegCtrl0', 'ctrl+AHR', 'A_B_C'], { controlLabels: ['NegCtrl0'] })
    expect(m.conditions).toEqual(['CEBPA+KLF1', 'CEBPA+KLF1', 'CEBPA+KLF1', 'AHR+ctrl', 'ctrl', 'AHR+ctrl', 'A+B+C'])
  })

  it('honours an explicit separator', () => {
    const m = mapToConditions(['HLA-A|B2M', 'B2M'], { controlLabels: [], separator: '|' })
    expect(m.conditions).toEqual(['B2M+HLA-A', 'B2M+ctrl'])
  })

  it('renames aliases and reports every rename with its cell count', () => {
    const aliases = new Map([
      ['TMEM173', 'STING1'],
      ['MARCH8', 'MARCHF8'],
    ])
    const m = mapToConditions(['TMEM173', 'TMEM173g1', 'MARCH8_IRF1', 'IRF1', 'ctrl'], { controlLabels: [], aliases })
    expect(m.conditions).toEqual(['STING1+ctrl', 'STING1+ctrl', 'IRF1+MARCHF8', 'IRF1+ctrl', 'ctrl'])
    expect(m.renames).toEqual([
      { from: 'MARCH8', to: 'MARCHF8', cells: 1 },
      { from: 'TMEM173', to: 'STING1', cells: 2 },
    ])
  })

  it('reports unmapped values instead of inventing genes', () => {
    const m = mapToConditions(['STAT1', null, '', 'non-targeting', 'non targeting', 'non-targeting', '_'], { controlLabels: ['NT'] })
    expect(m.conditions).toEqual(['STAT1+ctrl', null, null, null, null, null, null])
    expect(m.controlCells).toBe(0)
    const byValue = Object.fromEntries(m.unmapped.map((u) => [String(u.value), u]))
    expect(byValue['non-targeting']).toMatchObject({ cells: 2, reason: expect.stringContaining('control label') })
    expect(byValue['non targeting'].reason).toMatch(/control label/)
    expect(byValue['null'].reason).toBe('empty value')
    expect(byValue['_'].reason).toBe('no gene symbol in the value')
    expect(m.unmapped.reduce((s, u) => s + u.cells, 0)).toBe(6)
  })
})

describe('conditionLabel (display form)', () => {
  it('writes singles and sets as people do, in the order given', () => {
    expect(conditionLabel('STAT1+ctrl')).toBe('STAT1')
    expect(conditionLabel('ctrl+STAT1')).toBe('STAT1')
    expect(conditionLabel('STAT1+IRF1')).toBe('STAT1 + IRF1')
    expect(conditionLabel('A+B+C')).toBe('A + B + C')
    expect(conditionLabel(['IRF1', 'STAT1'])).toBe('IRF1 + STAT1')
  })

  it('calls the control "control" and leaves text that is no condition alone', () => {
    expect(conditionLabel('ctrl')).toBe('control')
    expect(conditionLabel([])).toBe('control')
    expect(conditionLabel('not a gene')).toBe('not a gene')
    expect(conditionLabel('A++B')).toBe('A++B')
  })
})
