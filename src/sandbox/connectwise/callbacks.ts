/**
 * Callback deliveries as cloud ConnectWise makes them: the documented body (Entity as a
 * JSON string, Metadata.key_url on the site), signed in `x-content-signature` with the
 * site's signing key, which the key URL hands out (see src/connectors/connectwise/signature.ts).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { callbackSignature } from '../../connectors/connectwise/signature.ts';
import { CODEBASE, COMPANY_ID } from './catalog.ts';
import type { ConnectWiseSandboxContext } from './context.ts';

export const SIGNING_KEY = 'sandbox-callback-signing-key';
const KEY_PATH = `/${CODEBASE}system/callbackkey/index.rails`;

export interface CallbackInput {
  /** 'time', 'agreement', … (lowercase, as ConnectWise sends it). */
  type: string;
  id: number;
  action?: 'added' | 'updated' | 'deleted';
  /** valid: signed with the site's key; wrong: signed with another key; none: no header. */
  signature?: 'valid' | 'wrong' | 'none';
}

export interface CallbackDelivery {
  body: string;
  headers: Record<string, string>;
}

/** The signing key, to the integration that names its clientId (as ConnectWise asks of every call). */
export function registerCallbackKeyRoute(app: FastifyInstance, ctx: ConnectWiseSandboxContext): void {
  app.get(KEY_PATH, async (req, reply) => {
    if (req.headers.clientid !== ctx.credentials.clientId) return reply.code(401).send({ code: 'Unauthorized', message: 'clientId header missing or unknown' });
    return { signing_key: SIGNING_KEY };
  });
}

/** One callback delivery for the record, to POST to the URL the hub registered. */
export function callbackDelivery(siteUrl: string, input: CallbackInput): CallbackDelivery {
  const action = input.action ?? 'updated';
  const body = JSON.stringify({
    MessageId: randomUUID(),
    FromUrl: new URL(siteUrl).host,
    CompanyId: COMPANY_ID,
    MemberId: 'apiuser',
    Action: action,
    Type: input.type,
    ID: input.id,
    Entity: action === 'deleted' ? null : JSON.stringify({ id: input.id }),
    Metadata: { key_url: `${siteUrl}${KEY_PATH}?companyName=${COMPANY_ID}&id=${randomUUID()}` },
  });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const signature = input.signature ?? 'valid';
  if (signature !== 'none') headers['x-content-signature'] = callbackSignature(signature === 'valid' ? SIGNING_KEY : 'not-the-signing-key', body);
  return { body, headers };
}
