import type { CsrMatrix } from '../io/raw-dataset'
import { AliasTable, type Rng } from '../ml/random'

/**
 * Negative-binomial count rows without touching every (cell, gene) entry.
 *
 * NB(mean μ, dispersion φ) is a compound Poisson law: X = Y₁ + … + Y_N with
 * N ~ Poisson(ln(1 + μφ)/φ) "clusters" and Yᵢ ~ Logarithmic(μφ/(1 + μφ)). Summed over genes, a
 * cell's clusters form one Poisson process, so a cell costs about as much as its counts, not as
 * its genes. The per-cell rates depend on the library size, so cells are sorted by library size,
 * binned, and each bin draws from an alias table at its largest library, thinning each proposal
 * down to the cell's own rate (exact; few proposals are rejected). Genes with many clusters per
 * cell are cheaper drawn directly as gamma–Poisson.
 */

const BIN_CELLS = 64
/** expected clusters per cell above which a gene is drawn directly rather than as clusters */
const DIRECT_CLUSTERS = 2

/** Append-only CSR rows with amortised growth; `finish()` hands back a CsrMatrix. */
export class CsrBuilder {
  private indices: Int32Array
  private data: Float32Array
  private readonly indptr: Int32Array
  private row = 0
  private nnz = 0

  constructor(
    readonly nRows: number,
    readonly nCols: number,
    expectedNnz: number,
  ) {
    this.indptr = new Int32Array(nRows + 1)
    const cap = Math.max(1024, Math.ceil(expectedNnz))
    this.indices = new Int32Array(cap)
    this.data = new Float32Array(cap)
  }

  appendRow(cols: ArrayLike<number>, values: ArrayLike<number>, from: number, to: number): void {
    const len = to - from
    if (this.row >= this.nRows) throw new RangeError('CsrBuilder: more rows than declared')
    if (this.nnz + len >= 2 ** 31) throw new RangeError('CsrBuilder: more than 2^31 stored values')
    this.reserve(this.nnz + len)
    for (let k = 0; k < len; k++) {
      this.indices[this.nnz + k] = cols[from + k]
      this.data[this.nnz + k] = values[from + k]
    }
    this.nnz += len
    this.indptr[++this.row] = this.nnz
  }

  private reserve(size: number): void {
    if (size <= this.indices.length) return
    const cap = Math.ceil(Math.max(size, this.indices.length * 1.25))
    const ind = new Int32Array(cap)
    ind.set(this.indices.subarray(0, this.nnz))
    const dat = new Float32Array(cap)
    dat.set(this.data.subarray(0, this.nnz))
    this.indices = ind
    this.data = dat
  }

  /** The matrix; its arrays may be views on slightly larger buffers (copying 10⁸ values costs seconds). */
  finish(): CsrMatrix {
    if (this.row !== this.nRows) throw new RangeError(`CsrBuilder: ${this.row} of ${this.nRows} rows written`)
    const slack = this.indices.length - this.nnz
    const copy = slack > 0.1 * this.nnz
    return {
      nRows: this.nRows,
      nCols: this.nCols,
      indptr: this.indptr,
      indices: copy ? this.indices.slice(0, this.nnz) : this.indices.subarray(0, this.nnz),
      data: copy ? this.data.slice(0, this.nnz) : this.data.subarray(0, this.nnz),
    }
  }
}

/** Expected stored (non-zero) entries of one cell: Σ_g P(X_g > 0) at library size `lib`. */
export function expectedNonZeros(rate: Float64Array, phi: Float64Array, lib: number): number {
  let s = 0
  for (let g = 0; g < rate.length; g++) {
    const a = lib * rate[g] * phi[g]
    s += -Math.expm1(-Math.log1p(a) / phi[g])
  }
  return s
}

/**
 * Samples NB count rows condition by condition for a fixed gene panel; keeps its work buffers
 * between conditions. `rate[g]` is gene g's expected count per unit of library size, `phi[g]`
 * its dispersion (> 0), `libs[c]` the library size of cell c.
 */
export class CountSampler {
  private readonly invPhi: Float64Array
  private readonly scratch: Int32Array
  private readonly bits: Int32Array
  private readonly binRate: Float64Array
  private readonly ratePhi: Float64Array
  private readonly direct: Int32Array
  private bufCols = new Int32Array(1 << 16)
  private bufVals = new Float32Array(1 << 16)

  constructor(private readonly phi: Float64Array) {
    const n = phi.length
    for (let g = 0; g < n; g++) if (!(phi[g] > 0)) throw new RangeError(`dispersion of gene ${g} must be > 0`)
    this.invPhi = phi.map((p) => 1 / p)
    this.scratch = new Int32Array(n)
    this.bits = new Int32Array((n + 31) >> 5)
    this.binRate = new Float64Array(n)
    this.ratePhi = new Float64Array(n)
    this.direct = new Int32Array(n)
  }

  /** Appends one row per cell, in the order of `libs`, to `out`. */
  sample(rate: Float64Array, libs: ArrayLike<number>, rng: Rng, out: CsrBuilder): void {
    const { phi, invPhi, scratch, bits, binRate, ratePhi, direct } = this
    const nGenes = phi.length
    const nCells = libs.length
    if (rate.length !== nGenes) throw new RangeError('rate and dispersion lengths differ')
    const order = Array.from({ length: nCells }, (_, i) => i).sort((x, y) => libs[x] - libs[y] || x - y)
    for (let g = 0; g < nGenes; g++) ratePhi[g] = rate[g] * phi[g]
    // rows are produced in library order and re-emitted in cell order
    const rowStart = new Int32Array(nCells)
    const rowLen = new Int32Array(nCells)
    let used = 0

    for (let start = 0; start < nCells; start += BIN_CELLS) {
      const end = Math.min(nCells, start + BIN_CELLS)
      const libMax = libs[order[end - 1]]
      let nDirect = 0
      for (let g = 0; g < nGenes; g++) {
        const clusters = invPhi[g] * Math.log1p(libMax * ratePhi[g])
        if (clusters > DIRECT_CLUSTERS) {
          direct[nDirect++] = g
          binRate[g] = 0
        } else binRate[g] = clusters
      }
      const table = new AliasTable(binRate)
      for (let o = start; o < end; o++) {
        const cell = order[o]
        const lib = libs[cell]
        for (let d = 0; d < nDirect; d++) {
          const g = direct[d]
          const y = rng.negativeBinomial(lib * rate[g], phi[g])
          if (y > 0) {
            scratch[g] = y
            bits[g >> 5] |= 1 << (g & 31)
          }
        }
        drawClusters(table, rng, lib, lib / libMax, ratePhi, invPhi, binRate, scratch, bits)
        // collect the row in gene order from the bitmap, clearing as we go
        this.ensure(used + nGenes)
        const cols = this.bufCols
        const vals = this.bufVals
        rowStart[cell] = used
        for (let w = 0; w < bits.length; w++) {
          let x = bits[w]
          if (x === 0) continue
          bits[w] = 0
          while (x !== 0) {
            const low = x & -x
            const g = (w << 5) | (31 - Math.clz32(low))
            cols[used] = g
            vals[used] = scratch[g]
            scratch[g] = 0
            used++
            x ^= low
          }
        }
        rowLen[cell] = used - rowStart[cell]
      }
    }
    for (let c = 0; c < nCells; c++) out.appendRow(this.bufCols, this.bufVals, rowStart[c], rowStart[c] + rowLen[c])
  }

  private ensure(size: number): void {
    if (size <= this.bufCols.length) return
    const cap = Math.max(size, Math.ceil(this.bufCols.length * 1.5))
    const c = new Int32Array(cap)
    c.set(this.bufCols)
    const v = new Float32Array(cap)
    v.set(this.bufVals)
    this.bufCols = c
    this.bufVals = v
  }
}

/** The hot loop: a cell's Poisson number of cluster proposals, thinned, each adding a log-series count. */
function drawClusters(table: AliasTable, rng: Rng, lib: number, libRatio: number, ratePhi: Float64Array, invPhi: Float64Array, binRate: Float64Array, scratch: Int32Array, bits: Int32Array): void {
  const proposals = table.total > 0 ? rng.poisson(table.total) : 0
  for (let k = 0; k < proposals; k++) {
    const g = table.draw(rng)
    const a = lib * ratePhi[g]
    // thinning from the bin's largest library to this cell's; log1p(x)/x falls with x, so
    // the rate ratio is at least lib/libMax and most proposals pass without a log
    if (libRatio < 1) {
      const u = rng.uniform32()
      if (u >= libRatio && u * binRate[g] >= invPhi[g] * Math.log1p(a)) continue
    }
    scratch[g] += rng.logarithmic(a / (1 + a))
    bits[g >> 5] |= 1 << (g & 31)
  }
}

/** One condition's rows with a throw-away sampler (tests and small uses). */
export function sampleConditionCounts(rate: Float64Array, phi: Float64Array, libs: ArrayLike<number>, rng: Rng, out: CsrBuilder): void {
  new CountSampler(phi).sample(rate, libs, rng, out)
}
