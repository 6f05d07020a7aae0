// The count report (计票结果报告单) open on this page, shown over it and printed alone on A4.
import { defineStore } from 'pinia'
import { nextTick, ref } from 'vue'

export const REPORT_PRINTING_CLASS = 'report-printing'

export const useReportStore = defineStore('report', () => {
  const target = ref<{ pollId: string; n: number } | null>(null)

  function open(pollId: string, n: number): void {
    target.value = { pollId, n }
    document.body.classList.add(REPORT_PRINTING_CLASS)
  }

  function close(): void {
    target.value = null
    document.body.classList.remove(REPORT_PRINTING_CLASS)
  }

  /** While the report is open the body class makes print show the report sheet and nothing else. */
  async function print(): Promise<void> {
    if (!target.value) return
    await nextTick()
    window.print()
  }

  return { target, open, close, print }
})
