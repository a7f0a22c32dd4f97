import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks'

/** How often the monitor's timer asks the loop, in milliseconds (Node's default). */
const RESOLUTION_MILLIS = 10

/**
 * The event loop's delay for the whole process: Node's own monitor (a libuv timer that does not
 * keep the process alive) records how late each of its ticks came. Blocking that cannot be charged
 * to one request (a timer callback, the continuation of an async function after an await, work
 * outside any hook) shows here and only here. One monitor per process, shared by every plugin
 * instance that watches.
 */
export interface EventLoopWatch {
  /** p99 and longest delay since the watch began or was last reset, in milliseconds. */
  read(): { delayP99Millis: number; delayMaxMillis: number }
  reset(): void
  stop(): void
}

let monitor: IntervalHistogram | undefined
let watchers = 0

export function watchEventLoop (): EventLoopWatch {
  if (monitor === undefined) {
    monitor = monitorEventLoopDelay({ resolution: RESOLUTION_MILLIS })
    monitor.enable()
  }
  watchers++
  const histogram = monitor
  let stopped = false
  // Each tick records the time since the last one: the resolution itself is not delay.
  const delay = (nanos: number): number => Math.max(0, nanos / 1e6 - RESOLUTION_MILLIS)
  return {
    read: () =>
      histogram.count === 0
        ? { delayP99Millis: 0, delayMaxMillis: 0 }
        : { delayP99Millis: delay(histogram.percentile(99)), delayMaxMillis: delay(histogram.max) },
    reset: () => {
      histogram.reset()
    },
    stop: () => {
      if (stopped) return
      stopped = true
      if (--watchers === 0) {
        histogram.disable()
        monitor = undefined
      }
    }
  }
}
