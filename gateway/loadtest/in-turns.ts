/** Run `each` over `items` with at most `parallel` running at once (set-up and admin look-ups, not the load). */
export async function inTurns<T>(items: readonly T[], parallel: number, each: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, async () => {
    while (next < items.length) await each(items[next++]!);
  }));
}
