/**
 * Two kinds of request to a listening hub compared: the real app on a bench database,
 * sequential requests over keep-alive HTTP, in alternating blocks so drift on a noisy
 * machine hits both alike. Shared by the benchmarks that price one request against another.
 *
 * @example
 *   const hub = await listeningHub(database);
 *   const { perA, perB, n } = await compareRequests({ url: a }, { url: b }, 3000);
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { webhookRegistry } from '../src/connectors/webhooks.ts';
import type { HubContext } from '../src/context.ts';
import { SecretBox } from '../src/security/secret-box.ts';
import { buildApp } from '../src/server/app.ts';
import type { BenchDatabase } from './support.ts';

export interface Target {
  url: string;
  headers?: Record<string, string>;
}

export async function listeningHub(database: BenchDatabase): Promise<{ app: FastifyInstance; base: string }> {
  const ctx: HubContext = {
    db: database.db,
    pool: database.pool,
    config: { ...loadConfig({}), databaseUrl: database.url },
    logger: pino({ level: 'warn' }),
    secrets: new SecretBox(randomBytes(32)),
    webhookProviders: webhookRegistry([]),
  };
  const app = await buildApp(ctx);
  return { app, base: await app.listen({ host: '127.0.0.1', port: 0 }) };
}

async function block(target: Target, n: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const res = await fetch(target.url, { headers: target.headers ?? {} });
    if (res.status !== 200) throw new Error(`${target.url}: HTTP ${res.status}`);
    await res.arrayBuffer();
  }
  return performance.now() - start;
}

/** Mean microseconds per request of each, after a warm-up (connections, JIT, PostgreSQL's plan cache). */
export async function compareRequests(a: Target, b: Target, requests: number, blockSize = 250): Promise<{ perA: number; perB: number; n: number }> {
  await block(a, 200);
  await block(b, 200);
  let aMs = 0;
  let bMs = 0;
  for (let done = 0; done < requests; done += blockSize) {
    aMs += await block(a, blockSize);
    bMs += await block(b, blockSize);
  }
  const n = Math.ceil(requests / blockSize) * blockSize;
  return { perA: (aMs / n) * 1000, perB: (bMs / n) * 1000, n };
}
