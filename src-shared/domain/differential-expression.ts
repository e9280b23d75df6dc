/**
 * Differential expression against control: the test every DE table states, and the cuts that make
 * a gene "DE" on screen, in counts and in exports (one rule for all of them).
 */

/** How DE is tested, in words (the screens and the CSV header say it). */
export const DE_TEST =
  'Welch t-test (unequal variances) of each gene, condition vs control cells, on log-normalised expression; p-values two-sided, adjusted by Benjamini–Hochberg over all genes of the condition'

/** What the volcano and the counts call a DE gene: adjusted p below `pAdjusted` and |log2 fold change| at least `log2FoldChange`. */
export const DE_SIGNIFICANCE = { pAdjusted: 0.05, log2FoldChange: 0.5 } as const

/** |log2 fold change| from which a value is taken as "not expressed in one group" rather than a measured change. */
export const ARTEFACT_LFC = 10
