import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient } from '../../../src/connectors/http/client.ts';
import { VendorCallError } from '../../../src/connectors/http/errors.ts';
import { createLimiter } from '../../../src/connectors/http/limits.ts';

// Body-phase timeouts need a real socket: a server that sends the headers and part
// of the body, then goes quiet.
let server: Server | undefined;

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

function client(baseUrl: string, timeoutMs: number) {
  return new HttpClient({ vendor: 'test', baseUrl, limiter: createLimiter({}), timeoutMs, sleep: async () => undefined });
}

describe('HttpClient against a stalling server', () => {
  it('times out a JSON body that stops arriving, and retries the call', async () => {
    let requests = 0;
    const base = await serve((_req, res) => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/json' });
      if (requests === 1) res.write('{"items": [');
      else res.end('{"items": []}');
    });

    // Generous: the second, answering request must not time out on a loaded machine.
    const res = await client(base, 1_000).request<{ items: unknown[] }>({ call: 'customers.list', path: '/customers' });

    expect(res.body.items).toEqual([]);
    expect(requests).toBe(2);
  });

  it('fails a streamed body with reason "timeout" when no bytes arrive for timeoutMs', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write('first chunk;');
    });
    const { body } = await client(base, 100).request({ call: 'usage.blob', path: '/blob', responseType: 'stream' });

    const received: string[] = [];
    const error = await (async () => {
      for await (const chunk of body) received.push(Buffer.from(chunk as Uint8Array).toString());
    })().then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(received.join('')).toBe('first chunk;');
    expect(error).toBeInstanceOf(VendorCallError);
    expect(error).toMatchObject({ reason: 'timeout', call: 'usage.blob', retryable: true });
  });

  it('keeps a slow but steady stream alive: the timeout is between chunks, not for the whole body', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      let sent = 0;
      const timer = setInterval(() => {
        res.write(`${sent};`);
        if (++sent === 6) {
          clearInterval(timer);
          res.end();
        }
      }, 250);
    });
    const { body } = await client(base, 1_000).request({ call: 'usage.blob', path: '/blob', responseType: 'stream' });

    let text = '';
    for await (const chunk of body) text += Buffer.from(chunk as Uint8Array).toString();

    // 6 × 250 ms is longer than the 1 s timeout, yet no single gap comes near it, even on a loaded machine.
    expect(text).toBe('0;1;2;3;4;5;');
  });

  it('releases the connection when the consumer stops reading early', async () => {
    let closed = false;
    const base = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write('a'.repeat(1024));
      req.socket.on('close', () => {
        closed = true;
      });
    });
    const { body } = await client(base, 5_000).request({ call: 'usage.blob', path: '/blob', responseType: 'stream' });

    for await (const _chunk of body) break;
    // The close reaches the server on its own schedule: wait for it rather than for a fixed time.
    for (let i = 0; i < 500 && !closed; i++) await new Promise((resolve) => setTimeout(resolve, 10));

    expect(closed).toBe(true);
  });
});
