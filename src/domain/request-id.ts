/**
 * Request ids are UUIDv7: unique, ordered by time, and carrying their creation time, so feedback
 * can tell an id that expired from the prediction log from one that never existed.
 */
const UUID_V7 = /^([0-9a-f]{8})-([0-9a-f]{4})-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export function requestIdTime(id: string): number | null {
  const m = UUID_V7.exec(id);
  return m ? parseInt(m[1]! + m[2]!, 16) : null;
}
