import { appError } from './errors.js';

export const VARIANTS = ['stable', 'canary'] as const;
export type Variant = (typeof VARIANTS)[number];

/**
 * The seed labs call the stable version `production`; accept it wherever a variant is named.
 * A Map, not an object literal: "constructor" or "__proto__" from a header must not find anything.
 */
const VARIANT_SYNONYMS: ReadonlyMap<string, Variant> = new Map([
  ['stable', 'stable'],
  ['production', 'stable'],
  ['prod', 'stable'],
  ['canary', 'canary'],
]);

export function parseVariant(raw: string): Variant {
  const variant = VARIANT_SYNONYMS.get(raw.trim().toLowerCase());
  if (variant === undefined) {
    throw appError('invalid_request', `unknown variant "${raw}": use stable (or production) or canary`);
  }
  return variant;
}
