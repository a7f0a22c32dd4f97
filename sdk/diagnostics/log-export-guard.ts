/**
 * Lines this package writes itself (its warnings, OpenTelemetry's diagnostics) reach the
 * application's logger, and through the log bridge the log pipeline. An export failure of that
 * pipeline would then be a log record, whose export fails, and so on: those lines are written
 * with log export suspended. The bridge also suspends it while it emits, so a diagnostic raised
 * inside an emit cannot emit again.
 *
 * A counter, not a flag: suspensions nest. Loggers write synchronously, so the bridge sees the
 * state of the write it is called in.
 */
let suspended = 0

export function withoutLogExport (write: () => void): void {
  suspended++
  try {
    write()
  } finally {
    suspended--
  }
}

/** For the bridge's hot path, without a closure: every suspend is followed by a resume in `finally`. */
export function suspendLogExport (): void {
  suspended++
}

export function resumeLogExport (): void {
  suspended--
}

export function logExportSuspended (): boolean {
  return suspended > 0
}
