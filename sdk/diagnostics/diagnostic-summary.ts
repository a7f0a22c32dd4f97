import type { Warnings } from './warnings.js'

const WINDOW_MILLIS = 10_000
/** Distinct diagnostics remembered; past this, the one seen least recently is reported and forgotten. */
const MAX_TEMPLATES = 100

/**
 * A diagnostic's text with what changes from one occurrence to the next taken out: hex ids (trace
 * and span ids) and numbers. "Cannot execute the operation on ended Span {traceId: …}" is one
 * diagnostic however many spans it names.
 */
export function diagnosticTemplate (line: string): string {
  return line.replace(/\b[0-9a-f]{8,}\b/gi, '<id>').replace(/\d+(?:\.\d+)?/g, '<n>')
}

/**
 * OpenTelemetry's own warnings and errors as FOK_WARN_OTEL_DIAGNOSTIC process warnings: the first
 * of each kind (by template) at once, with its full text; repeats counted and summarised once per
 * window, and at shutdown (`flush`). A bug that touches every request's span after it ended makes
 * one warning and one summary per window, not one warning per request, and the memory it takes is
 * bounded by MAX_TEMPLATES.
 */
export class DiagnosticSummary {
  /** Template to repeats since the last summary; in order of last occurrence (oldest first). */
  private readonly repeats = new Map<string, number>()
  private timer: NodeJS.Timeout | undefined

  constructor (private readonly warnings: Warnings) {}

  report (line: string): void {
    const template = diagnosticTemplate(line)
    const repeats = this.repeats.get(template)
    if (repeats === undefined) {
      if (this.repeats.size >= MAX_TEMPLATES) this.forgetOldest()
      this.repeats.set(template, 0)
      this.warnings.warn('FOK_WARN_OTEL_DIAGNOSTIC', line, { once: false })
      return
    }
    this.repeats.delete(template)
    this.repeats.set(template, repeats + 1)
    this.timer ??= setTimeout(() => {
      this.timer = undefined
      this.summarise()
    }, WINDOW_MILLIS)
    // The summary must not keep a finished process alive: shutdown and exit report it (flush).
    this.timer.unref()
  }

  /** Reports the repeats counted so far and stops the window timer. */
  flush (): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.summarise()
  }

  private summarise (): void {
    for (const [template, count] of this.repeats) {
      if (count === 0) continue
      this.repeats.set(template, 0)
      this.say(template, count)
    }
  }

  private forgetOldest (): void {
    const oldest = this.repeats.entries().next().value
    if (oldest === undefined) return
    this.repeats.delete(oldest[0])
    if (oldest[1] > 0) this.say(oldest[0], oldest[1])
  }

  private say (template: string, count: number): void {
    this.warnings.warn(
      'FOK_WARN_OTEL_DIAGNOSTIC',
      `repeated ${count} more time(s) since it was last reported (ids and numbers vary): ${template}`,
      { once: false }
    )
  }
}
