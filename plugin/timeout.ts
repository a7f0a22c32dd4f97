/**
 * Waits for `work` at most `millis`. Resolves true when it settled in time (even if it failed:
 * failures are reported where they happen), false on timeout. The timer never holds the process.
 */
export async function withTimeout (work: Promise<unknown>, millis: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), millis)
    timer.unref()
  })
  try {
    return await Promise.race([work.then(() => true, () => true), timeout])
  } finally {
    clearTimeout(timer)
  }
}
