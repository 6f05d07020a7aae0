// A ticking server-time clock for templates: local time plus the measured offset, re-read on each
// second boundary so the seconds flip together on every screen in the hall.
import { computed, onMounted, onUnmounted, ref } from 'vue'
import { useMeetingStore } from '../stores/meeting'

export function useServerNow() {
  const meeting = useMeetingStore()
  const local = ref(Date.now())
  let timer: ReturnType<typeof setTimeout> | undefined

  function tick(): void {
    local.value = Date.now()
    const next = 1000 - ((local.value + meeting.offset) % 1000)
    timer = setTimeout(tick, next + 5)
  }

  onMounted(tick)
  onUnmounted(() => clearTimeout(timer))
  return computed(() => local.value + meeting.offset)
}
