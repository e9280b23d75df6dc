import { ref, type Ref } from 'vue'

/**
 * The item a Delete button asked about while its confirmation dialog is open (`deleting`: set it
 * to open the dialog, null to cancel). `confirm()` closes the dialog and removes the item; with
 * `keepOpen` the dialog stays until the removal has answered.
 */
export function useConfirmDelete<T>(remove: (item: T) => Promise<unknown>, opts: { keepOpen?: boolean } = {}) {
  const deleting = ref(null) as Ref<T | null>

  async function confirm(): Promise<void> {
    const item = deleting.value
    if (!opts.keepOpen) deleting.value = null
    if (item !== null) await remove(item)
    if (opts.keepOpen) deleting.value = null
  }

  return { deleting, confirm }
}
