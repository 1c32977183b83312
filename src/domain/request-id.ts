/**
 * Request ids are UUIDv7: unique, ordered by time, and carrying their creation time, so feedback
 * can tell an id that expired from the prediction log from one that never existed.
 */
const UUID_V7 = /^([0-9a-f]{8})-([0-9a-f]{4})-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export function requestIdTime(id: string): number | null {
  const m = UUID_V7.exec(id);
  return m ? parseInt(m[1]! + m[2]!, 16) : null;
}

/**
 * The leading `xxxxxxxx-xxxx` of the ids made at millisecond `ms`. Every id made earlier sorts
 * below it (the ids are lower-case hex), so `request_id < requestIdTimePrefix(t)` selects a time range.
 */
export function requestIdTimePrefix(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}`;
}
