import { createHmac, randomBytes } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import { netsuiteRealm } from './declaration.ts';

export interface NetSuiteTokenCredentials {
  accountId: string;
  consumerKey: string;
  consumerSecret: string;
  tokenId: string;
  tokenSecret: string;
}

/**
 * NetSuite token-based authentication: an OAuth 1.0a header signed HMAC-SHA256 with
 * `consumerSecret&tokenSecret`, a fresh nonce and timestamp per request, query
 * parameters in the base string (the JSON body is not), realm = the account id.
 * Built on `oauth-1.0a`, the signer the community NetSuite clients use: percent-encoding
 * and parameter sorting are where hand-written signers go wrong.
 *
 * @example
 *   const sign = tokenAuthSigner(credentials);
 *   fetch(url, { headers: { authorization: sign({ method: 'GET', url }) } });
 */
export function tokenAuthSigner(credentials: NetSuiteTokenCredentials, clock: { nowSeconds?: () => number; nonce?: () => string } = {}): (request: { method: string; url: string }) => string {
  const oauth = new OAuth({
    consumer: { key: credentials.consumerKey, secret: credentials.consumerSecret },
    realm: netsuiteRealm(credentials.accountId),
    signature_method: 'HMAC-SHA256',
    hash_function: (base, key) => createHmac('sha256', key).update(base).digest('base64'),
  });
  // oauth-1.0a reads its clock and nonce from overridable methods: tests fix them to compare with a hand-made signature.
  if (clock.nowSeconds) oauth.getTimeStamp = clock.nowSeconds;
  // NetSuite refuses a nonce it has seen; the library's own comes from Math.random.
  oauth.getNonce = clock.nonce ?? (() => randomBytes(16).toString('hex'));
  const token = { key: credentials.tokenId, secret: credentials.tokenSecret };
  return ({ method, url }) => oauth.toHeader(oauth.authorize({ url: plusAsSpace(url), method }, token)).Authorization;
}

/**
 * A query string from URLSearchParams spells a space `+` (form encoding), which the
 * server decodes as a space before it signs; oauth-1.0a decodes with decodeURIComponent
 * and would sign a literal `+`. A real plus is `%2B` in such a query, so every `+` left
 * there is a space.
 */
function plusAsSpace(url: string): string {
  const at = url.indexOf('?');
  return at < 0 ? url : url.slice(0, at) + url.slice(at).replace(/\+/g, '%20');
}
