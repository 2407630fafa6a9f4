import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export const ROLES = ['admin', 'finance', 'sales_ops', 'billing_ops', 'auditor', 'portal'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/**
 * How a key's secret is stored: its SHA-256 (`sha256$<base64>`), as GitHub and Stripe
 * store tokens. The secret is 24 random bytes (192 bits), which no guessing or brute
 * force gets near, so a slow, memory-hard KDF protects it no better and costs memory and
 * CPU on every verification, and every request verifies its key (docs/performance.md). Keys stored as scrypt by earlier
 * versions still verify, and are stored again as SHA-256 on their first use (`needsRehash`).
 */
const SCHEME = 'sha256';

function scrypt(secret: string, salt: Buffer, opts: ScryptOptions & { keylen: number }): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(secret, salt, opts.keylen, { N: opts.N, r: opts.r, p: opts.p }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** A new key: shown to the person once; only `prefix` and `hash` are stored. */
export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const prefix = randomBytes(6).toString('hex');
  const secret = randomBytes(24).toString('base64url');
  return { key: `hub_${prefix}_${secret}`, prefix, hash: hashSecret(secret) };
}

function sha256(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

export function hashSecret(secret: string): string {
  return `${SCHEME}$${sha256(secret).toString('base64')}`;
}

/** Whether a stored hash is of an older scheme, to be stored again as `hashSecret` gives once the secret verified. */
export function needsRehash(stored: string): boolean {
  return !stored.startsWith(`${SCHEME}$`);
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, ...fields] = stored.split('$');
  if (scheme === SCHEME && fields.length === 1) {
    const expected = Buffer.from(fields[0]!, 'base64');
    const derived = sha256(secret);
    return derived.length === expected.length && timingSafeEqual(derived, expected);
  }
  // Keys stored before SHA-256: scrypt$N$r$p$salt$hash.
  const [n, r, p, salt, hash] = fields;
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
