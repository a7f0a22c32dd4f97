/**
 * Waits for `work` at most `millis`. Resolves true when it settled in time (even if it failed:
 * failures are reported where they happen), false on timeout.
 *
 * The timer is deliberately not unref'd: whoever awaits this (close, a signal handler) must get an
 * answer, and with an exporter that holds no handle the loop would otherwise drain and the process
 * exit in the middle of the await. It is cleared as soon as the work settles.
 */
export async function withTimeout (work: Promise<unknown>, millis: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), millis)
  })
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true
      ),
      timeout
    ])
  } finally {
    clearTimeout(timer)
  }
}
