/** The app's screens in navigation order; the name is also the `nav-<name>` test id and the URL hash. */
export const screens = [
  { name: 'projects', label: 'Projects', hint: 'Create and open projects' },
  { name: 'datasets', label: 'Datasets', hint: 'Import Perturb-seq data' },
  { name: 'pathways', label: 'Pathways', hint: 'Browse ReactomeNet and GO' },
  { name: 'training', label: 'Training', hint: 'Train and compare models' },
  { name: 'predict', label: 'Predict', hint: 'Predict perturbation effects' },
  { name: 'design', label: 'Design', hint: 'Plan gene combinations' },
  { name: 'glossary', label: 'Glossary', hint: 'What the words and scores mean' },
] as const

export type ScreenName = (typeof screens)[number]['name']

export function isScreenName(name: string): name is ScreenName {
  return screens.some((s) => s.name === name)
}
