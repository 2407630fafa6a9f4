import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { HubContext } from '../../context.ts';
import { closeSession, openSession } from '../../db/console-sessions.ts';
import { ROLES } from '../../security/api-keys.ts';
import { SESSION_COOKIE, type Principal } from '../plugins/auth.ts';
import { badRequest } from '../problem.ts';
import { Uuid } from '../wire-types.ts';

// Sessions: an API key exchanged for a cookie, which is how the web console (/console)
// signs in. The cookie is HttpOnly (no script reads it), SameSite=Strict (no other site's
// page sends it) and Secure when the hub is reached over TLS; a request made with it that
// changes something must also carry the session's CSRF token (src/server/plugins/auth.ts).

const KeyView = Type.Object({
  name: Type.String(),
  roles: Type.Array(Type.Enum([...ROLES])),
  customerId: Type.Union([Uuid, Type.Null()], { description: "A portal key's customer; null for staff keys" }),
});
const SessionView = Type.Object({
  csrfToken: Type.String({ description: 'Send as x-csrf-token on every POST, PUT, PATCH and DELETE made with the session cookie' }),
  idleTimeoutSeconds: Type.Integer({ description: 'The session ends when unused this long' }),
});
const Whoami = Type.Object({
  key: KeyView,
  session: Type.Union([SessionView, Type.Null()], { description: 'null when the request came with a Bearer key' }),
});

/** Every role may sign in; a portal key's session is its key, confined like the key. */
const auth = { roles: [...ROLES], customerScope: 'self' as const };

const keyView = (p: Principal) => ({ name: p.name, roles: p.roles, customerId: p.customerId });

/** Secure when the browser reached the hub over TLS (directly, or as HUB_PUBLIC_URL says behind a proxy). */
function isTls(request: FastifyRequest, publicUrl: string | null): boolean {
  return request.protocol === 'https' || (publicUrl?.startsWith('https:') ?? false);
}

function setCookie(reply: FastifyReply, value: string, secure: boolean, maxAge?: number): void {
  const attributes = ['Path=/', 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : []), ...(maxAge === undefined ? [] : [`Max-Age=${maxAge}`])];
  reply.header('set-cookie', `${SESSION_COOKIE}=${value}; ${attributes.join('; ')}`);
}

export function sessionRoutes(app: FastifyInstance, ctx: HubContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const idleTimeoutSeconds = ctx.config.consoleIdleSeconds;

  r.post(
    '/v1/sessions',
    {
      config: { auth },
      schema: {
        tags: ['sessions'],
        summary: 'Exchange the Bearer API key for a session cookie (HttpOnly, SameSite=Strict, Secure over TLS) and its CSRF token',
        response: { 200: Whoami },
      },
    },
    async (request, reply) => {
      const principal = request.principal!;
      if (principal.session) throw badRequest('authorization', 'a session is opened with an API key sent as "Authorization: Bearer <key>"');
      const opened = await openSession(ctx.db, principal.keyId);
      setCookie(reply, opened.token, isTls(request, ctx.config.publicUrl));
      reply.header('cache-control', 'no-store');
      return { key: keyView(principal), session: { csrfToken: opened.csrfToken, idleTimeoutSeconds } };
    },
  );

  r.get(
    '/v1/sessions/current',
    {
      config: { auth },
      schema: {
        tags: ['sessions'],
        summary: "Who the request is: its key's name, roles and customer, and with a session cookie the session's CSRF token",
        response: { 200: Whoami },
      },
    },
    async (request, reply) => {
      const principal = request.principal!;
      reply.header('cache-control', 'no-store');
      return { key: keyView(principal), session: principal.session ? { csrfToken: principal.session.csrfToken, idleTimeoutSeconds } : null };
    },
  );

  r.delete(
    '/v1/sessions/current',
    {
      config: { auth },
      schema: {
        tags: ['sessions'],
        summary: 'Sign out: end the session the cookie names and clear the cookie (closed false when the request used a Bearer key)',
        response: { 200: Type.Object({ closed: Type.Boolean() }) },
      },
    },
    async (request, reply) => {
      const session = request.principal!.session;
      if (session) await closeSession(ctx.db, session.id);
      setCookie(reply, '', isTls(request, ctx.config.publicUrl), 0);
      return { closed: session !== undefined };
    },
  );
}
