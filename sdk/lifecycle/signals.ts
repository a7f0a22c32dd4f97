import { withTimeout } from './with-timeout.js'

/**
 * Someone who must flush when the process is told to stop: a Fastify instance (which also
 * closes: its onClose flushes) or the preload entry (which only flushes).
 */
export interface SignalParticipant {
  /** Closes what this participant serves (a Fastify app); its own onClose flushes. */
  close?: () => Promise<unknown>
  flush: () => Promise<unknown>
  timeoutMillis: number
  /** Where to say what happens; optional, like Fastify's logger. */
  say?: (message: string) => void
  /** Where to warn, with the warning's code (docs/reference/warnings.md). */
  warn?: (code: ShutdownWarningCode, message: string) => void
}

/** The signal handler's own warnings. */
export type ShutdownWarningCode = 'FOK_WARN_SHUTDOWN_SLOW' | 'FOK_WARN_SHUTDOWN_INTERRUPTED'

interface Coordinator {
  participants: Set<SignalParticipant>
  /**
   * Run, synchronously, just before this package exits the process (see `beforeSignalExit`);
   * `interrupted`: a second signal cut the shutdown short.
   */
  exitSteps: Set<(interrupted: boolean) => void>
  listeners: Map<NodeJS.Signals, () => void>
  stopping: boolean
}

/** One coordinator per process: Fastify instances and the preload entry share the signal handlers. */
const COORDINATOR = Symbol.for('fastify-otel-kit.signals')

function coordinator (): Coordinator {
  const slot = globalThis as Record<symbol, Coordinator | undefined>
  slot[COORDINATOR] ??= { participants: new Set(), exitSteps: new Set(), listeners: new Map(), stopping: false }
  // A coordinator made by an older copy of this module (two copies in one process) has no steps.
  slot[COORDINATOR].exitSteps ??= new Set()
  return slot[COORDINATOR]
}

/**
 * Registers a step that runs when the signal handler has waited out every participant's bound and
 * is about to call process.exit: the last moment to count what is still pending as failed, say so,
 * and report the warning windows. Bounds elsewhere (the SDK release's) start later than the
 * signal's and would never fire. Returns a function that withdraws the step.
 */
export function beforeSignalExit (step: (interrupted: boolean) => void): () => void {
  const shared = coordinator()
  shared.exitSteps.add(step)
  return () => {
    shared.exitSteps.delete(step)
  }
}

/** Runs the exit steps; one that throws does not keep the others from running, nor the exit. */
function runExitSteps (shared: Coordinator, interrupted: boolean): void {
  for (const step of [...shared.exitSteps]) {
    shared.exitSteps.delete(step)
    try {
      step(interrupted)
    } catch {
      // Nothing to report to: the process is exiting, and the step's own warning is what failed.
    }
  }
}

/**
 * Flushes telemetry when the process is told to stop. If nothing else listens for the signal, this
 * package owns the shutdown: it closes every participant that can close (which flushes through
 * onClose), flushes the others, all bounded by their timeouts, and exits with code 0. If the
 * application has its own listener, it only flushes and leaves closing and exiting to the
 * application. A second signal during shutdown exits at once.
 *
 * Returns a function that withdraws the participant (called from onClose).
 */
export function flushOnSignals (participant: SignalParticipant, signals: readonly NodeJS.Signals[]): () => void {
  if (signals.length === 0) return () => {}
  const shared = coordinator()
  shared.participants.add(participant)
  for (const signal of signals) {
    if (shared.listeners.has(signal)) continue
    const listener = (): void => {
      onSignal(shared, signal, listener)
    }
    shared.listeners.set(signal, listener)
    process.on(signal, listener)
  }
  return () => {
    shared.participants.delete(participant)
    if (shared.participants.size === 0 && !shared.stopping) {
      for (const [signal, listener] of shared.listeners) process.removeListener(signal, listener)
      shared.listeners.clear()
    }
  }
}

async function onSignal (shared: Coordinator, signal: NodeJS.Signals, listener: () => void): Promise<void> {
  const participants = [...shared.participants]
  if (shared.stopping) {
    participants[0]?.warn?.('FOK_WARN_SHUTDOWN_INTERRUPTED', `second ${signal} during shutdown; exiting now`)
    runExitSteps(shared, true)
    // Process warnings are emitted on the next tick: exiting on it lets what the steps said out.
    process.nextTick(() => process.exit(1))
    return
  }
  const applicationHandles = process.listeners(signal).some((l) => l !== listener)
  if (applicationHandles) {
    // Said, since a listener added only to log something also keeps the process from exiting:
    // Node leaves a handled signal to its listeners.
    for (const p of participants) {
      p.say?.(
        `fastify-otel-kit: ${signal} received; the application listens for it too, so the plugin flushes ` +
          'and leaves closing the app and exiting to that listener'
      )
    }
    await Promise.all(participants.map((p) => withTimeout(p.flush(), p.timeoutMillis)))
    warnIfStillRunning(participants, signal)
    return
  }
  shared.stopping = true
  for (const p of participants) {
    p.say?.(`fastify-otel-kit: ${signal} received; closing and flushing before exit`)
  }
  // The whole shutdown fits in timeoutMillis, and this handler owns that one deadline: most of it
  // for close (in-flight requests, then the flush in onClose), the rest for a direct flush if close
  // is held up by a slow request; then the exit steps account for what is left.
  await Promise.all(
    participants.map(async (p) => {
      if (p.close === undefined) {
        await withTimeout(p.flush(), p.timeoutMillis)
        return
      }
      const closeBudget = Math.floor(p.timeoutMillis * 0.75)
      const closed = await withTimeout(p.close(), closeBudget)
      if (!closed) {
        p.warn?.(
          'FOK_WARN_SHUTDOWN_SLOW',
          `close did not finish within ${closeBudget} ms of shutdownTimeoutMillis (${p.timeoutMillis} ms); ` +
            'flushing what is queued and exiting'
        )
        await withTimeout(p.flush(), p.timeoutMillis - closeBudget)
      }
    })
  )
  runExitSteps(shared, false)
  // One turn for what the steps said: process warnings are emitted on the next tick.
  await new Promise((resolve) => setImmediate(resolve))
  process.exit(0)
}

/**
 * After a signal the application handles itself: if the process is still running at twice the
 * shutdown bound (when the plugin's own shutdown would long have exited), says so as a warning.
 * A listener that only logs keeps the process up until the orchestrator's SIGKILL, and the info
 * line above is not seen by a service logging at warn. The timer does not keep the process alive.
 */
function warnIfStillRunning (participants: readonly SignalParticipant[], signal: NodeJS.Signals): void {
  const afterMillis = 2 * Math.max(0, ...participants.map((p) => p.timeoutMillis))
  const timer = setTimeout(() => {
    participants[0]?.warn?.(
      'FOK_WARN_SHUTDOWN_SLOW',
      `the process is still running ${afterMillis / 1000} s after ${signal}: the application's own ${signal} ` +
        'listener decides when it exits, and has not (one that only logs keeps the process up until it is ' +
        'killed). Telemetry was flushed; close the app and exit in that listener, or remove it and let the ' +
        'plugin do both.'
    )
  }, afterMillis)
  timer.unref()
}
