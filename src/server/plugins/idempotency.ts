import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../../db/database.ts';
import { canonicalJson } from '../../db/audit.ts';
import { ApiProblem } from '../problem.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * POSTs that create or trigger set this so a retried request with the same
     * Idempotency-Key replays the first answer. 'after-body': the route streams its body
     * and calls claimIdempotencyKey itself once it has read it.
     */
    idempotent?: boolean | 'after-body';
  }
  interface FastifyRequest {
    idempotencyKey: string | null;
  }
}

/**
 * `Idempotency-Key`: the first request with a key claims it; its answer (if not a 5xx)
 * is stored and replayed to every retry with the same key and the same body. The
 * same key with a different body is a client bug and gets 422.
 */
export function registerIdempotency(app: FastifyInstance, db: Db): void {
  app.decorateRequest('idempotencyKey', null);

  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    // A streamed upload is claimed by its handler once the body is in (claimIdempotencyKey).
    if (request.routeOptions.config.idempotent !== true) return;
    // Anything parsed is hashed as canonical JSON; a raw body (a file upload) as the bytes received.
    const body = Buffer.isBuffer(request.body) ? request.body : canonicalJson(request.body ?? null);
    await claimIdempotencyKey(db, request, reply, createHash('sha256').update(body).digest('hex'));
  });

  app.addHook('onSend', async (request, reply, payload) => {
    if (!request.idempotencyKey || !request.principal) return payload;
    if (reply.statusCode >= 500) {
      // A server failure must not be replayed forever: release the key for a retry.
      await db.deleteFrom('idempotency_keys').where('api_key_id', '=', request.principal.keyId).where('key', '=', request.idempotencyKey).execute();
      return payload;
    }
    await db
      .updateTable('idempotency_keys')
      .set({ status_code: reply.statusCode, response_body: typeof payload === 'string' ? payload : JSON.stringify(payload ?? null) })
      .where('api_key_id', '=', request.principal.keyId)
      .where('key', '=', request.idempotencyKey)
      .execute();
    return payload;
  });
}

/**
 * Claim the request's Idempotency-Key for a body with this hash. Answers for the route
 * when the key was used before: the first answer replayed, 422 for another body, 409
 * while the first request is still running. Returns whether it answered.
 */
export async function claimIdempotencyKey(db: Db, request: FastifyRequest, reply: FastifyReply, bodyHash: string): Promise<boolean> {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string' || key === '' || !request.principal) return false;
  if (key.length > 255) throw new ApiProblem(400, 'validation', 'Invalid request', 'Idempotency-Key: at most 255 characters', { field: 'Idempotency-Key' });
  const requestHash = createHash('sha256').update(`${request.method} ${request.url}\n`).update(bodyHash).digest('hex');
  const claimed = await db
    .insertInto('idempotency_keys')
    .values({ api_key_id: request.principal.keyId, key, method: request.method, path: request.url, request_hash: requestHash })
    .onConflict((oc) => oc.doNothing())
    .returning('key')
    .executeTakeFirst();
  if (claimed) {
    request.idempotencyKey = key;
    return false;
  }
  const prior = await db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('api_key_id', '=', request.principal.keyId)
    .where('key', '=', key)
    .executeTakeFirstOrThrow();
  if (prior.request_hash !== requestHash) {
    throw new ApiProblem(422, 'idempotency-key-reused', 'Idempotency key reused', 'this Idempotency-Key was already used with a different request', {
      field: 'Idempotency-Key',
    });
  }
  if (prior.status_code === null) {
    throw new ApiProblem(409, 'idempotency-in-progress', 'Request in progress', 'a request with this Idempotency-Key is still being processed; retry shortly', {
      field: 'Idempotency-Key',
    });
  }
  reply.header('idempotent-replayed', 'true');
  await reply.code(prior.status_code).send(prior.response_body);
  return true;
}
