// Worker tasks for the thread-boundary benchmark: ordinary functions, no tracing code.
export function noop (value) {
  return value
}

/** About `millis` of CPU. */
export function spin ({ millis }) {
  const end = performance.now() + millis
  let n = 0
  while (performance.now() < end) n++
  return n
}
