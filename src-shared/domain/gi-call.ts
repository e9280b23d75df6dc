/**
 * One interaction call per pair, with the rule that decided it, in words a biologist reads
 * (docs/experiment-design.md, "One call per pair"). Pure: the Design screen, the CLI and the
 * CSV exports all read a pair's call from here, so they never disagree.
 *
 * Several §9 criteria can hold at once (a pair can be weaker than additive, redundant and
 * dominated by one gene). The **primary call** is the first that holds, in this precedence:
 *
 *   1. neomorphic   corr_fit < neomorphicCorrFit       the pair does something its singles do not explain
 *   2. redundant    dcor > redundantDcor and dcor_singles > redundantDcorSingles
 *   3. epistasis    dominance > epistasisDominance
 *   4. additive     |mag/ref − 1| ≤ additiveBand
 *   5. synergy      mag/ref above the band (strong above strongSynergy)
 *   6. suppression  mag/ref below the band
 *
 * (as `callGi` calls `type`). The magnitude classes 4–6 exclude one another: a pair is additive,
 * stronger or weaker, never two of them, so §9's overlapping "suppression" (mag/ref < 1) and
 * "additive" (within the band) are not both listed. The other criteria that hold are secondary.
 *
 * The ⚠ warning: nearly collinear singles (|singles_cos| > collinearSingles, `illDetermined`)
 * leave c1 and c2 unidentifiable apart, so mag and dominance, and the calls that rest on them
 * (epistasis, additive, synergy, suppression), are not to be trusted. A neomorphic or redundant
 * call does not rest on c1 and c2 (corr_fit reads the fitted values, which collinearity leaves
 * determined; redundancy *means* singles that look alike), so those carry no ⚠.
 */
import { GI_CRITERIA, type GiCall, type GiCriterion, type GiScores, type GiThresholds, type GiType } from '../contract/channels/design'

/** The order in which the criteria decide the primary call (the first that holds wins). */
export const GI_PRECEDENCE = ['neomorphic', 'redundant', 'epistasis', 'additive', 'synergy', 'suppression'] as const satisfies readonly GiType[]

type CallScores = Pick<GiScores, 'mag' | 'corr_fit' | 'dcor' | 'dcor_singles' | 'dominance'> & Partial<Pick<GiScores, 'singles_cos' | 'genes' | 'magRelative'>>

/**
 * The type call of a pair from its scores (pure, so a screen can re-call a stored map when the
 * user moves a threshold): every §9 criterion that holds, and one type — the first of
 * neomorphic, redundant, epistasis that holds, else additive within the band around the
 * reference magnitude, else synergy above it or suppression below. Separately, whether the fit is
 * ill-determined (nearly collinear singles), which the call's reader should weigh. The call in
 * words (the deciding rule, the other criteria, the ⚠ where it applies): giVerdict below.
 */
export function callGi(s: Pick<GiScores, 'mag' | 'corr_fit' | 'dcor' | 'dcor_singles' | 'dominance'> & Partial<Pick<GiScores, 'singles_cos'>>, t: GiThresholds): GiCall {
  const rel = s.mag / t.magReference
  const holds: Record<GiCriterion, boolean> = {
    synergy: rel > t.synergy,
    'strong-synergy': rel > t.strongSynergy,
    suppression: rel < t.suppression,
    additive: Math.abs(rel - 1) <= t.additiveBand,
    neomorphic: s.corr_fit < t.neomorphicCorrFit,
    redundant: s.dcor > t.redundantDcor && s.dcor_singles > t.redundantDcorSingles,
    epistasis: s.dominance > t.epistasisDominance,
  }
  const criteria = GI_CRITERIA.filter((c) => holds[c])
  const type: GiType = holds.neomorphic ? 'neomorphic' : holds.redundant ? 'redundant' : holds.epistasis ? 'epistasis' : holds.additive ? 'additive' : rel > 1 ? 'synergy' : 'suppression'
  // scores stored before singles_cos existed carry no flag rather than a false "determined"
  return s.singles_cos === undefined ? { type, criteria } : { type, criteria, illDetermined: Math.abs(s.singles_cos) > t.collinearSingles }
}

export interface GiCriterionHeld {
  type: GiType
  /** what held, with this pair's number and the threshold */
  text: string
}

export interface GiVerdict {
  /** the primary call */
  type: GiType
  /** synergy above the strong-synergy threshold (when that lies above the additive band) */
  strong: boolean
  /** the call's name as shown: `synergy`, `strong synergy` */
  label: string
  /** why: the deciding rule with this pair's numbers, e.g. `synergy: combined effect 1.52× the sum of the singles (synergy above 1.3×)` */
  rule: string
  /** the other criteria that hold (not the primary), in precedence order */
  secondary: GiCriterionHeld[]
  /** mag / reference: the pair's effect relative to an additive pair's */
  relative: number
  /** the ⚠: what triggered it and what to do; null when the call can be read as it stands */
  warning: string | null
}

const x = (v: number) => `${v.toFixed(2)}×`
const n2 = (v: number) => v.toFixed(2)

/** "Strong" says something only when its threshold lies above the additive band (by default, 1.15 < 1.3, every synergy would be strong). */
const strongMeans = (t: GiThresholds) => t.strongSynergy > 1 + t.additiveBand

function magnitudeClass(rel: number, t: GiThresholds): 'additive' | 'synergy' | 'suppression' {
  return Math.abs(rel - 1) <= t.additiveBand ? 'additive' : rel > 1 ? 'synergy' : 'suppression'
}

/** What each criterion says about this pair, with its number and threshold. */
function criterionText(type: GiType, s: CallScores, rel: number, t: GiThresholds): string {
  switch (type) {
    case 'neomorphic':
      return `the singles explain the pair poorly (fit correlation ${n2(s.corr_fit)}, below ${t.neomorphicCorrFit}): the pair does something new`
    case 'redundant':
      return `both genes do the same thing (singles alike: dCor ${n2(s.dcor_singles)} > ${t.redundantDcorSingles}; the pair looks like them: dCor ${n2(s.dcor)} > ${t.redundantDcor})`
    case 'epistasis':
      return `one gene dominates the pair (dominance ${n2(s.dominance)}, above ${t.epistasisDominance})`
    case 'additive':
      return `combined effect ${x(rel)} the sum of the singles (additive within ${x(1 - t.additiveBand)}–${x(1 + t.additiveBand)})`
    case 'synergy':
      return `combined effect ${x(rel)} the sum of the singles (synergy above ${x(1 + t.additiveBand)}${strongMeans(t) ? `, strong above ${x(t.strongSynergy)}` : ''})`
    case 'suppression':
      return `combined effect ${x(rel)} the sum of the singles (suppression below ${x(1 - t.additiveBand)})`
  }
}

/**
 * The primary call of a pair's scores under these thresholds, the rule that decided it, the other
 * criteria that hold, and the ⚠ warning when the call rests on an ill-determined fit.
 * "The sum of the singles" is the additive pair's magnitude (`magReference`, √2 by default).
 */
export function giVerdict(s: CallScores, t: GiThresholds): GiVerdict {
  const call = callGi(s, t)
  const rel = s.magRelative ?? s.mag / t.magReference
  const holds: Record<GiType, boolean> = {
    neomorphic: call.criteria.includes('neomorphic'),
    redundant: call.criteria.includes('redundant'),
    epistasis: call.criteria.includes('epistasis'),
    additive: false,
    synergy: false,
    suppression: false,
  }
  holds[magnitudeClass(rel, t)] = true
  const type = call.type
  const strong = type === 'synergy' && strongMeans(t) && rel > t.strongSynergy
  const label = strong ? 'strong synergy' : type
  const secondary = GI_PRECEDENCE.filter((c) => c !== type && holds[c]).map((c) => ({ type: c, text: criterionText(c, s, rel, t) }))
  const restsOnFit = type !== 'neomorphic' && type !== 'redundant'
  const cos = s.singles_cos
  const warning =
    call.illDetermined && restsOnFit && cos !== undefined
      ? `⚠ Not reliable: the two singles change the same genes ${cos < 0 ? 'in opposite directions' : 'in the same direction'} (cosine ${n2(cos)}${s.genes ? ` over ${s.genes} genes` : ''}, beyond ±${t.collinearSingles}), so the pair’s effect cannot be split between the two genes and its ${type === 'epistasis' ? 'dominance' : 'strength'} (${type === 'epistasis' ? n2(s.dominance) : x(rel)}) could be far off. What to do: treat this ${label} call as unknown; measure the two singles and the pair before choosing it${type === 'additive' ? '' : ' for its interaction'}.`
      : null
  return { type, strong, label, rule: `${label}: ${criterionText(type, s, rel, t)}`, secondary, relative: rel, warning }
}

export interface CallComparison {
  agree: boolean
  /** one sentence: they agree, or how they disagree and what to make of it */
  text: string
}

const MAGNITUDE_CALLS: readonly GiType[] = ['additive', 'synergy', 'suppression']

/** Predicted against observed call of a measured pair, in words (each call's own rule is shown beside it). */
export function compareCalls(predicted: GiVerdict, observed: GiVerdict): CallComparison {
  // strengths say something when both calls are read from them
  const both = MAGNITUDE_CALLS.includes(predicted.type) && MAGNITUDE_CALLS.includes(observed.type)
  const p = `${predicted.label}${both ? ` (${x(predicted.relative)} the sum of the singles)` : ''}`
  const o = `${observed.label}${both ? ` (${x(observed.relative)})` : ''}`
  if (predicted.type === observed.type) return { agree: true, text: `Prediction and measurement agree: ${p === o ? p : `predicted ${p}, measured ${o}`}.` }
  return {
    agree: false,
    text: `Prediction and measurement disagree: the model predicts ${p}, the measured cells show ${o}. Trust the measurement for this pair, and read the model’s calls for similar unmeasured pairs with care.`,
  }
}

export type GiConfidence = 'high' | 'medium' | 'low'

/**
 * How far to trust a predicted call, from what the run knew of the pair's genes and the ⚠:
 * low with a ⚠ or with no gene seen in training, medium with one, high with both.
 */
export function giConfidence(seen: number, verdict: GiVerdict | null): { level: GiConfidence; reason: string } {
  if (!verdict) return { level: 'low', reason: 'no call: the fit had nothing to work with' }
  if (verdict.warning) return { level: 'low', reason: 'the two singles are too alike to split the pair’s effect (⚠)' }
  if (seen >= 2) return { level: 'high', reason: 'the run saw both genes perturbed in training' }
  if (seen === 1) return { level: 'medium', reason: 'the run saw one of the two genes perturbed in training' }
  return { level: 'low', reason: 'the run saw neither gene perturbed in training' }
}
