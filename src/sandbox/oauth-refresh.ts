/**
 * The refresh-token grant as the ERP sandboxes check it: the app's client id and secret
 * in HTTP Basic, `grant_type=refresh_token`, and a live refresh token, which dies on use
 * (the caller issues its successor), so a client that does not store the new one fails
 * on its next refresh. Also the loopback listen every sandbox does.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

export type RefreshGrant = { refreshToken: string } | { error: 'invalid_client' | 'invalid_grant' };

export function takeRefreshGrant(req: FastifyRequest, client: { clientId: string; clientSecret: string }, live: Set<string>): RefreshGrant {
  const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const [id, secret] = basic ? Buffer.from(basic, 'base64').toString().split(':') : [];
  if (id !== client.clientId || secret !== client.clientSecret) return { error: 'invalid_client' };
  const form = req.body as Record<string, string>;
  if (form.grant_type !== 'refresh_token' || !live.has(form.refresh_token ?? '')) return { error: 'invalid_grant' };
  live.delete(form.refresh_token!);
  return { refreshToken: form.refresh_token! };
}

/** Listens on the loopback (a free port unless given) and answers the base URL. */
export async function listenLocally(app: FastifyInstance, options: { host?: string; port?: number }): Promise<string> {
  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  return `http://${host}:${typeof address === 'object' && address ? address.port : options.port}`;
}
