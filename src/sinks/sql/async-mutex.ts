/** A first-come first-served async mutex whose waits can be aborted. */
export class AsyncMutex {
  private held = false;
  private readonly waiters: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];

  /** Resolves with a release function once the mutex is ours. */
  async lock(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (!this.held) {
      this.held = true;
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        reject,
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
    return this.releaser();
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiters.shift();
      if (next) next.resolve();
      else this.held = false;
    };
  }
}
