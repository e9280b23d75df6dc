import { onBeforeUnmount, ref } from 'vue'
import { api } from '../api/client'

/**
 * Progress of one long request (import, knowledge build, demo): a client-chosen job id, the
 * core's `job:progress` events for it, and cancel. `run(work)` begins the job, hands its id to
 * the request, and ends it however the request ends.
 */
export function useJob() {
  const jobId = ref<string | null>(null)
  const fraction = ref(0)
  const message = ref('')
  const unsubscribe = api.on('job:progress', (p) => {
    if (p.jobId !== jobId.value) return
    fraction.value = p.fraction
    message.value = p.message
  })
  onBeforeUnmount(unsubscribe)

  function begin(): string {
    jobId.value = `job-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
    fraction.value = 0
    message.value = 'Starting…'
    return jobId.value
  }

  async function cancel() {
    if (jobId.value) await api.call('job:cancel', { jobId: jobId.value })
  }

  function end() {
    jobId.value = null
  }

  async function run<T>(work: (jobId: string) => Promise<T>): Promise<T> {
    try {
      return await work(begin())
    } finally {
      end()
    }
  }

  return { jobId, fraction, message, begin, cancel, end, run }
}
