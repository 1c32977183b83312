/**
 * A warning for a failure that repeats every tick while it lasts (the store out of reach): logged
 * at most once per `everyMs`, with how many times it happened since the last line, so a long
 * outage is a line every half minute rather than one a second.
 */
export function throttledWarning(warn: (obj: object, msg: string) => void, everyMs = 30_000, now: () => number = Date.now): (obj: object, msg: string) => void {
  let last = Number.NEGATIVE_INFINITY;
  let since = 0;
  return (obj, msg) => {
    const t = now();
    if (t - last < everyMs) {
      since++;
      return;
    }
    warn(since > 0 ? { ...obj, repeated: since } : obj, msg);
    last = t;
    since = 0;
  };
}
