import { describe, expect, it } from 'vitest';
import { callbackSignature, isValidCallbackSignature, trustedKeyUrl } from '../../../src/connectors/connectwise/signature.ts';

// ConnectWise's documented scheme: base64(HMAC-SHA256(key = SHA-256(signing_key), raw body)).
// The expected value was computed outside the hub with openssl:
//   KEY=$(printf %s 'sandbox-callback-signing-key' | openssl dgst -sha256 -binary | xxd -p -c 256)
//   printf %s '{"MessageId":"m","Type":"time","ID":1}' | openssl dgst -sha256 -mac HMAC -macopt hexkey:$KEY -binary | base64
const BODY = '{"MessageId":"m","Type":"time","ID":1}';
const EXPECTED = 'u5gTYMNvF0wYizYKFqNUH0qjtUiDG/BGSVGkv29DogM=';

describe('ConnectWise callback signature', () => {
  it('is base64 HMAC-SHA256 of the raw body keyed with the SHA-256 of the signing key', () => {
    expect(callbackSignature('sandbox-callback-signing-key', BODY)).toBe(EXPECTED);
    expect(isValidCallbackSignature('sandbox-callback-signing-key', Buffer.from(BODY), EXPECTED)).toBe(true);
    expect(isValidCallbackSignature('another-key', Buffer.from(BODY), EXPECTED)).toBe(false);
    expect(isValidCallbackSignature('sandbox-callback-signing-key', Buffer.from(BODY.replace('1', '2')), EXPECTED)).toBe(false);
  });

  it('reads the key URL only from the connection site', () => {
    const body = (url: string) => Buffer.from(JSON.stringify({ Metadata: { key_url: url } }));
    expect(trustedKeyUrl(body('https://na.myconnectwise.net/v2025_1//system/callbackkey/index.rails?id=1'), 'na.myconnectwise.net')).toBeInstanceOf(URL);
    expect(trustedKeyUrl(body('https://na.myconnectwise.net.evil.example/key'), 'na.myconnectwise.net')).toMatch(/not on the connection's site/);
    expect(trustedKeyUrl(Buffer.from('{}'), 'na.myconnectwise.net')).toMatch(/key_url is missing/);
  });
});
