import { createPrivateKey, sign } from 'node:crypto';
import { lazyImport } from '../../lazy-import.ts';
import { salesforceDeclaration } from './declaration.ts';

export interface SalesforceCredentials {
  clientId?: string;
  clientSecret?: string;
  username?: string;
  privateKey?: string;
  accessToken?: string;
}

export interface IssuedToken {
  accessToken: string;
  instanceUrl: string;
}

/** A token the org refused to issue (wrong key, unapproved user, bad secret): retrying cannot help. */
export class SalesforceAuthError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(`Salesforce refused a token: ${code}: ${message}`);
    this.name = 'SalesforceAuthError';
    this.code = code;
  }
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/**
 * An RS256 JWT bearer assertion: issuer the consumer key, subject the integration user,
 * audience the login URL, expiring within the 3 minutes Salesforce allows.
 *
 * @example jwtAssertion({ clientId: '3MVG9…', username: 'int@msp.example', privateKey: pem }, 'https://login.salesforce.com', Date.now())
 */
export function jwtAssertion(credentials: Required<Pick<SalesforceCredentials, 'clientId' | 'username' | 'privateKey'>>, audience: string, nowMs: number): string {
  const header = base64url(JSON.stringify({ alg: 'RS256' }));
  const claims = base64url(
    JSON.stringify({ iss: credentials.clientId, sub: credentials.username, aud: audience, exp: Math.floor(nowMs / 1000) + salesforceDeclaration.auth.jwtLifetimeSeconds }),
  );
  const signature = sign('RSA-SHA256', Buffer.from(`${header}.${claims}`), createPrivateKey(credentials.privateKey));
  return `${header}.${claims}.${base64url(signature)}`;
}

/** Which flow a connection's credentials allow: JWT bearer when it has a signing key, else client credentials. */
export function grantOf(credentials: SalesforceCredentials): 'jwt-bearer' | 'client-credentials' {
  return credentials.privateKey && credentials.username ? 'jwt-bearer' : 'client-credentials';
}

/** jsforce, loaded at its first use (src/lazy-import.ts). */
export const loadJsforce = lazyImport(() => import('jsforce'));

/**
 * A new access token through jsforce's OAuth2 client. Neither server-to-server flow issues
 * a refresh token: when Salesforce refuses a token (401 INVALID_SESSION_ID) the hub mints
 * another the same way. The JWT bearer flow posts to the login URL (its audience); the
 * client credentials flow only works at the org's My Domain, the instance URL.
 */
export async function mintAccessToken(credentials: SalesforceCredentials, urls: { instanceUrl: string; loginUrl: string }, nowMs = Date.now()): Promise<IssuedToken> {
  const jwt = grantOf(credentials) === 'jwt-bearer';
  const tokenBase = jwt ? urls.loginUrl : urls.instanceUrl;
  const { OAuth2 } = await loadJsforce();
  const oauth2 = new OAuth2({ loginUrl: tokenBase, clientId: credentials.clientId!, ...(jwt ? {} : { clientSecret: credentials.clientSecret! }) });
  try {
    const response = jwt
      ? await oauth2.requestToken({ grant_type: salesforceDeclaration.auth.jwtBearerGrant, assertion: jwtAssertion(credentials as Required<SalesforceCredentials>, urls.loginUrl, nowMs) })
      : await oauth2.requestToken({ grant_type: 'client_credentials' });
    return { accessToken: response.access_token, instanceUrl: response.instance_url };
  } catch (error) {
    const e = error as { name?: string; message?: string };
    if (e.name && /^(invalid_grant|invalid_client|unsupported_grant_type|invalid_request|inactive_user|inactive_org)$/.test(e.name)) throw new SalesforceAuthError(e.name, e.message ?? '');
    throw error;
  }
}
