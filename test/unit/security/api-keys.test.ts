import { describe, expect, it } from 'vitest';
import { generateApiKey, parseApiKey, verifySecret } from '../../../src/security/api-keys.ts';

describe('API keys', () => {
  it('stores a scrypt hash that verifies the secret and nothing else', async () => {
    const { key, prefix, hash } = await generateApiKey();
    const parsed = parseApiKey(key)!;
    expect(parsed.prefix).toBe(prefix);
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(hash).not.toContain(parsed.secret);
    expect(await verifySecret(parsed.secret, hash)).toBe(true);
    expect(await verifySecret(parsed.secret + 'x', hash)).toBe(false);
  });

  it('rejects strings that are not hub keys', () => {
    expect(parseApiKey('Bearer abc')).toBeUndefined();
    expect(parseApiKey('hub_short_secret')).toBeUndefined();
  });
});
