import { badRequest } from './errors.js';

export const VARIANTS = ['stable', 'canary'] as const;
export type Variant = (typeof VARIANTS)[number];

/** The seed labs call the stable version `production`; accept it wherever a variant is named. */
const VARIANT_SYNONYMS: Readonly<Record<string, Variant>> = {
  stable: 'stable',
  production: 'stable',
  prod: 'stable',
  canary: 'canary',
};

export function parseVariant(raw: string): Variant {
  const variant = VARIANT_SYNONYMS[raw.trim().toLowerCase()];
  if (variant === undefined) {
    throw badRequest('invalid_request', `unknown variant "${raw}": use stable (or production) or canary`);
  }
  return variant;
}
