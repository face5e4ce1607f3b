export interface WaitForOptions {
  /** give up after this long; generous by default because the machine running tests may be loaded */
  timeoutMs?: number;
  /** pause between two checks */
  intervalMs?: number;
}

export const DEFAULT_WAIT_TIMEOUT_MS = 45_000;

/**
 * Calls `check` until it returns a truthy value and resolves with it. A check that throws counts as not
 * yet (a table or topic may not exist yet); after `timeoutMs` it rejects naming `what` and the last error.
 * Tests wait for an outcome with it and never for a fixed time, and never assert how long it took.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  { timeoutMs = DEFAULT_WAIT_TIMEOUT_MS, intervalMs = 100 }: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? `; the last check threw: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
