import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiRefusal, consoleApi, type ConsoleApi } from './api.ts';
import { html } from './html.ts';
import { page } from './layout.ts';
import { currentViewer, type Viewer } from './session.ts';

export interface PageContext {
  api: ConsoleApi;
  viewer: Viewer;
  request: FastifyRequest;
  reply: FastifyReply;
  /** Query parameters as strings. */
  query: Record<string, string | undefined>;
  params: Record<string, string>;
  /** A POSTed form's fields. */
  form: Record<string, string>;
}

/** What a page handler answers: a rendered page, or a redirect (after a form post). */
export type PageResult = { title: string; body: ReturnType<typeof html>; path?: string; scripts?: string[]; styles?: string[] } | { redirect: string };

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

export function sendPage(reply: FastifyReply, status: number, text: string): FastifyReply {
  return reply.status(status).headers(SECURITY_HEADERS).type('text/html; charset=utf-8').send(text);
}

/**
 * A console route: the viewer is who the session cookie says (none: to the sign-in page),
 * and a refusal of the API (403, 404, 409 …) becomes a page saying so, with its status.
 * A POST from another origin is refused before anything is read.
 */
export function consoleRoute(app: FastifyInstance, method: 'GET' | 'POST', url: string, handler: (ctx: PageContext) => Promise<PageResult>): void {
  app.route({
    method,
    url,
    config: { auth: 'public' },
    schema: { hide: true },
    handler: async (request, reply) => {
      if (method === 'POST' && !sameOrigin(request)) return sendPage(reply, 403, page({ title: 'Refused', body: html`<p role="alert">This form was sent from another site.</p>` }));
      const api = consoleApi(app, request);
      const viewer = await currentViewer(api);
      if (!viewer) return reply.redirect(`/console/sign-in${request.headers.cookie?.includes('hub_session=') ? '?expired=1' : ''}`, 303);
      try {
        const result = await handler({
          api,
          viewer,
          request,
          reply,
          query: request.query as Record<string, string | undefined>,
          params: request.params as Record<string, string>,
          form: (request.body ?? {}) as Record<string, string>,
        });
        if ('redirect' in result) return reply.redirect(result.redirect, 303);
        return sendPage(reply, 200, page({ ...result, viewer }));
      } catch (error) {
        if (!(error instanceof ApiRefusal)) throw error;
        if (error.status === 401) return reply.redirect('/console/sign-in?expired=1', 303);
        const title = error.status === 404 ? 'Not found' : error.status === 403 ? 'Not allowed' : 'Refused';
        return sendPage(reply, error.status, page({ title, viewer, body: html`<p role="alert">${error.message}</p><p><a href="/console">Back to the start</a></p>` }));
      }
    },
  });
}

/** A browser names the page a form came from in Origin; a form from another site is refused. */
export function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (!origin) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}
