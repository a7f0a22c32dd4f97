/**
 * Summarises a recurring problem (spans dropped, exports failed) in windows: the first occurrence
 * is reported at once, then at most one summary per window, including the last window when the
 * problem stops (its timer reports what accumulated) and at shutdown (`flush`). Nothing counted is
 * left unreported.
 */
export class WindowedReport<D> {
  private pending = 0
  private detail: D | undefined
  private timer: NodeJS.Timeout | undefined

  constructor (
    private readonly windowMillis: number,
    private readonly report: (count: number, detail: D | undefined) => void
  ) {}

  add (count: number, detail?: D): void {
    this.pending += count
    if (detail !== undefined) this.detail = detail
    if (this.timer === undefined) {
      this.flush()
      this.openWindow()
    }
  }

  /** Reports what accumulated, if anything. */
  flush (): void {
    if (this.pending === 0) return
    const count = this.pending
    const detail = this.detail
    this.pending = 0
    this.detail = undefined
    this.report(count, detail)
  }

  /** Reports what accumulated and stops the window timer. */
  close (): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.flush()
  }

  private openWindow (): void {
    this.timer = setTimeout(() => {
      this.timer = undefined
      if (this.pending > 0) {
        this.flush()
        this.openWindow()
      }
    }, this.windowMillis)
    // The summary must not keep a finished process alive: shutdown flushes it.
    this.timer.unref()
  }
}
