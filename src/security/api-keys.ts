import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export const ROLES = ['admin', 'finance', 'sales_ops', 'billing_ops', 'auditor', 'portal'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 };

function scrypt(secret: string, salt: Buffer, opts: ScryptOptions & { keylen: number }): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(secret, salt, opts.keylen, { N: opts.N, r: opts.r, p: opts.p }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** A new key: shown to the person once; only `prefix` and `hash` are stored. */
export async function generateApiKey(): Promise<{ key: string; prefix: string; hash: string }> {
  const prefix = randomBytes(6).toString('hex');
  const secret = randomBytes(24).toString('base64url');
  return { key: `hub_${prefix}_${secret}`, prefix, hash: await hashSecret(secret) };
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const derived = await scrypt(secret, salt, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${derived.toString('base64')}`;
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const derived = await scrypt(secret, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p), keylen: expected.length });
  return derived.length === expected.length && timingSafeEqual(derived, expected);
}

/** Split `hub_<prefix>_<secret>`; anything else is not one of our keys. */
export function parseApiKey(key: string): { prefix: string; secret: string } | undefined {
  const match = /^hub_([0-9a-f]{12})_([A-Za-z0-9_-]{16,})$/.exec(key);
  return match ? { prefix: match[1]!, secret: match[2]! } : undefined;
}

/** Cache key for a verified key, so scrypt runs once per key per cache window, not per request. */
export function fingerprint(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
