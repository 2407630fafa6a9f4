import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { consoleApi } from './api.ts';
import { html } from './html.ts';
import { page } from './layout.ts';
import { closePages } from './pages/close.ts';
import { customerPages } from './pages/customers.ts';
import { dashboardPage } from './pages/dashboard.ts';
import { quoteExceptionPages } from './pages/quote-exceptions.ts';
import { rateCardPages } from './pages/rate-cards.ts';
import { usagePages } from './pages/usage.ts';
import { anomalyPages } from './pages/anomalies.ts';
import { driftPages } from './pages/drift.ts';
import { psaTodoPages } from './pages/psa-todos.ts';
import { mappingPages } from './pages/mappings.ts';
import { sameOrigin, sendPage } from './routing.ts';
import { currentViewer, isClient } from './session.ts';

const ASSETS = join(dirname(fileURLToPath(import.meta.url)), 'assets');
const UPLOT = dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'));

/**
 * The web console at /console: server-rendered pages over the public REST API (see
 * api.ts), a stylesheet and two small scripts (live close progress, the usage chart).
 */
export async function registerConsole(app: FastifyInstance): Promise<void> {
  await app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    await scope.register(fastifyStatic, { root: ASSETS, prefix: '/console/assets/', maxAge: '1h' });
    await scope.register(fastifyStatic, {
      root: UPLOT,
      prefix: '/console/assets/uplot/',
      decorateReply: false,
      allowedPath: (path) => path === '/uPlot.iife.min.js' || path === '/uPlot.min.css',
      maxAge: '1d',
    });

    scope.get('/console', { config: { auth: 'public' }, schema: { hide: true } }, async (request, reply) => {
      const viewer = await currentViewer(consoleApi(scope, request));
      if (!viewer) return reply.redirect('/console/sign-in', 303);
      return reply.redirect(isClient(viewer) ? `/console/customers/${viewer.customerId}` : '/console/dashboard', 303);
    });

    const signIn = (message?: string) =>
      page({
        title: 'Sign in',
        body: html`${message ? html`<p role="alert" class="error">${message}</p>` : ''}
<form method="post" action="/console/sign-in" class="stack">
  <label for="key">API key</label>
  <input id="key" name="key" type="password" autocomplete="off" required spellcheck="false" aria-describedby="key-hint">
  <p class="hint" id="key-hint">The key is not kept in the browser: it gets a session cookie, which ends when you sign out or after a quiet spell.</p>
  <button type="submit">Sign in</button>
</form>`,
      });

    scope.get('/console/sign-in', { config: { auth: 'public' }, schema: { hide: true } }, async (request, reply) => {
      const expired = (request.query as { expired?: string }).expired === '1';
      return sendPage(reply, 200, signIn(expired ? 'Your session ended. Sign in again.' : undefined));
    });

    scope.post('/console/sign-in', { config: { auth: 'public' }, schema: { hide: true } }, async (request, reply) => {
      if (!sameOrigin(request)) return sendPage(reply, 403, signIn('This form was sent from another site.'));
      const key = String((request.body as { key?: string } | undefined)?.key ?? '').trim();
      if (!key) return sendPage(reply, 400, signIn('Enter an API key.'));
      const answer = await consoleApi(scope, request).call('POST', '/v1/sessions', { authorization: `Bearer ${key}`, cookie: '' });
      if (answer.status !== 200) return sendPage(reply, 401, signIn('That key is unknown or revoked.'));
      reply.header('set-cookie', answer.headers['set-cookie']);
      return reply.redirect('/console', 303);
    });

    scope.post('/console/sign-out', { config: { auth: 'public' }, schema: { hide: true } }, async (request, reply) => {
      if (!sameOrigin(request)) return sendPage(reply, 403, signIn('This form was sent from another site.'));
      const csrf = (request.body as { _csrf?: string } | undefined)?._csrf;
      const answer = await consoleApi(scope, request).call('DELETE', '/v1/sessions/current', csrf ? { 'x-csrf-token': csrf } : {});
      if (answer.status === 403) return sendPage(reply, 403, signIn('Sign-out refused: the form carried no valid CSRF token.'));
      // An expired session has nothing to close; its cookie is dropped all the same.
      reply.header('set-cookie', answer.headers['set-cookie'] ?? 'hub_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0');
      return reply.redirect('/console/sign-in', 303);
    });

    dashboardPage(scope);
    customerPages(scope);
    closePages(scope);
    rateCardPages(scope);
    quoteExceptionPages(scope);
    usagePages(scope);
    anomalyPages(scope);
    driftPages(scope);
    psaTodoPages(scope);
    mappingPages(scope);
  });
}
