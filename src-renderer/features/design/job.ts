import { ref } from 'vue'
import { api } from '../../api/client'

/**
 * Progress of one long request owned by a store (it outlives the screen's components, so a map
 * keeps its progress when the user looks at another screen and comes back): a client-chosen job
 * id, the core's progress events for it, and cancel.
 */
export function storeJob() {
  const jobId = ref<string | null>(null)
  const fraction = ref(0)
  const message = ref('')
  const cancelling = ref(false)
  api.on('job:progress', (p) => {
    if (p.jobId !== jobId.value) return
    fraction.value = p.fraction
    message.value = p.message
  })

  function begin(): string {
    jobId.value = `design-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
    fraction.value = 0
    message.value = 'Starting…'
    cancelling.value = false
    return jobId.value
  }

  async function cancel() {
    if (!jobId.value) return
    cancelling.value = true
    message.value = 'Cancelling…'
    await api.call('job:cancel', { jobId: jobId.value })
  }

  function end() {
    jobId.value = null
    cancelling.value = false
  }

  return { jobId, fraction, message, cancelling, begin, cancel, end }
}
