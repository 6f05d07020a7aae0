// Quorum rules as the secretariat edits them and as the screens state them.
import type { QuorumRule } from '../../../shared/domain/types'

/** "> 1/2", ">= 2/3": compact, language-neutral. */
export function ruleText(rule: QuorumRule): string {
  return `${rule.op === 'gt' ? '>' : '≥'} ${rule.num}/${rule.den}`
}

/** The form's values, validated as the server's schema does, so the button can refuse early. */
export function validRule(rule: QuorumRule): boolean {
  return (
    Number.isInteger(rule.num) &&
    Number.isInteger(rule.den) &&
    rule.num >= 1 &&
    rule.num <= 99 &&
    rule.den >= 2 &&
    rule.den <= 100 &&
    rule.num < rule.den &&
    (rule.op === 'gt' || rule.op === 'gte')
  )
}

/** Share present of should attend, as a whole percentage for a progress bar. */
export function percent(present: number, should: number): number {
  if (should <= 0) return 0
  return Math.min(100, Math.round((present * 100) / should))
}
