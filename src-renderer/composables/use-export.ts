import { ref, type Ref } from 'vue'
import type { ExportNote } from '../exports/download'
import { useAction } from './use-action'

/**
 * A card's export buttons: `save(format, work)` runs the export through useAction (so it fails
 * like any action), remembers which format is being saved (that button reads "Saving…") and
 * keeps the line about the last file; `clear()` drops that line and the error once what they
 * described changes.
 */
export function useExport<F extends string>() {
  const { busy, error, run } = useAction()
  const saving = ref(null) as Ref<F | null>
  const message = ref<ExportNote | null>(null)

  async function save(format: F, work: () => Promise<ExportNote | null>): Promise<void> {
    message.value = null
    saving.value = format
    try {
      message.value = (await run(work)) ?? null
    } finally {
      saving.value = null
    }
  }

  function clear(): void {
    message.value = null
    error.value = null
  }

  return { busy, saving, error, message, save, clear }
}
