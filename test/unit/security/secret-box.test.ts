import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseSecretKey, SecretBox } from '../../../src/security/secret-box.ts';

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  it('round-trips and never leaves the plaintext in the ciphertext', () => {
    const sealed = box.sealJson({ clientSecret: 'hunter2-hunter2' }, 'conn-1');
    expect(sealed).toMatch(/^v1:/);
    expect(sealed).not.toContain('hunter2');
    expect(box.openJson(sealed, 'conn-1')).toEqual({ clientSecret: 'hunter2-hunter2' });
  });

  it('uses a fresh IV each time', () => {
    expect(box.seal('same', 'x')).not.toBe(box.seal('same', 'x'));
  });

  it('refuses a ciphertext bound to another row, a tampered one, or another key', () => {
    const sealed = box.seal('secret', 'conn-1');
    expect(() => box.open(sealed, 'conn-2')).toThrow();
    const raw = Buffer.from(sealed.slice(3), 'base64');
    raw[raw.length - 1] = raw[raw.length - 1]! ^ 1;
    expect(() => box.open(`v1:${raw.toString('base64')}`, 'conn-1')).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'conn-1')).toThrow();
  });

  it('parses HUB_SECRET_KEY as hex or base64 and names the variable when it is wrong', () => {
    const key = randomBytes(32);
    expect(parseSecretKey(key.toString('hex')).equals(key)).toBe(true);
    expect(parseSecretKey(key.toString('base64')).equals(key)).toBe(true);
    expect(() => parseSecretKey('too-short')).toThrow(/HUB_SECRET_KEY/);
  });
});
