import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateApiKey, hashSecret, needsRehash, parseApiKey, verifySecret } from '../../../src/security/api-keys.ts';
import { legacyScryptHash } from '../../helpers/legacy-api-key.ts';

describe('API keys', () => {
  it('stores the SHA-256 of the secret, which verifies the secret and nothing else', async () => {
    const { key, prefix, hash } = generateApiKey();
    const parsed = parseApiKey(key)!;
    expect(parsed.prefix).toBe(prefix);
    expect(hash).toMatch(/^sha256\$[A-Za-z0-9+/]{43}=$/);
    expect(hash).not.toContain(parsed.secret);
    expect(await verifySecret(parsed.secret, hash)).toBe(true);
    expect(await verifySecret(parsed.secret + 'x', hash)).toBe(false);
    expect(needsRehash(hash)).toBe(false);
  });

  it('hashes the same secret alike, and different secrets apart', () => {
    expect(hashSecret('a-secret-of-sixteen')).toBe(hashSecret('a-secret-of-sixteen'));
    expect(hashSecret('a-secret-of-sixteen')).not.toBe(hashSecret('a-secret-of-sixteeN'));
  });

  it('still verifies a key stored as scrypt, and marks it to be stored again', async () => {
    const secret = randomBytes(24).toString('base64url');
    const legacy = legacyScryptHash(secret);
    expect(await verifySecret(secret, legacy)).toBe(true);
    expect(await verifySecret(secret + 'x', legacy)).toBe(false);
    expect(needsRehash(legacy)).toBe(true);
  });

  it('verifies nothing against a stored value of no known scheme', async () => {
    for (const stored of ['', 'plain', 'md5$abc', 'sha256$', 'sha256$a$b', 'scrypt$16384$8$1$onlysalt']) {
      expect(await verifySecret('anything-at-all-16', stored), stored).toBe(false);
    }
  });

  it('rejects strings that are not hub keys', () => {
    expect(parseApiKey('Bearer abc')).toBeUndefined();
    expect(parseApiKey('hub_short_secret')).toBeUndefined();
  });
});
