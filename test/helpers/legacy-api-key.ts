import { randomBytes, scryptSync } from 'node:crypto';

/** A key's hash as keys were stored before SHA-256: scrypt$N$r$p$salt$hash. */
export function legacyScryptHash(secret: string): string {
  const salt = randomBytes(16);
  return `scrypt$16384$8$1$${salt.toString('base64')}$${scryptSync(secret, salt, 32, { N: 16384, r: 8, p: 1 }).toString('base64')}`;
}
