import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { demoLogging } from '../../src/demo-logging.ts';
import { prettyLogLines } from '../../src/log-format.ts';
import { createLogger } from '../../src/runtime.ts';

function collector() {
  const lines: string[] = [];
  return { lines, write: (text: string) => lines.push(text) };
}

// 2026-12-07T14:31:02.123Z
const T = Date.UTC(2026, 11, 7, 14, 31, 2, 123);

describe('prettyLogLines', () => {
  it('writes one readable line per entry: time, level, message, then the other fields', () => {
    const out = collector();
    const pretty = prettyLogLines(out);
    pretty.write(JSON.stringify({ level: 30, time: T, service: 'csp-billing-hub', port: 54329, dir: '/var/lib/hub/pg', msg: 'embedded PostgreSQL started' }) + '\n');
    pretty.write(JSON.stringify({ level: 40, time: T, file: '/data/secret key', msg: 'HUB_SECRET_KEY not set' }) + '\n');
    expect(out.lines).toEqual(['14:31:02 INFO  embedded PostgreSQL started port=54329 dir=/var/lib/hub/pg\n', '14:31:02 WARN  HUB_SECRET_KEY not set file="/data/secret key"\n']);
  });

  it("folds a request's two lines into one", () => {
    const out = collector();
    const pretty = prettyLogLines(out);
    pretty.write(JSON.stringify({ level: 30, time: T, reqId: 'r1', req: { method: 'GET', url: '/v1/invoices?period=2026-11', remotePort: 5 }, msg: 'incoming request' }) + '\n');
    pretty.write(JSON.stringify({ level: 30, time: T, reqId: 'r2', req: { method: 'POST', url: '/v1/billing-runs' }, msg: 'incoming request' }) + '\n');
    pretty.write(JSON.stringify({ level: 30, time: T, reqId: 'r1', res: { statusCode: 200 }, responseTime: 4.49, msg: 'request completed' }) + '\n');
    pretty.write(JSON.stringify({ level: 30, time: T, reqId: 'r2', res: { statusCode: 202 }, responseTime: 12.5, msg: 'request completed' }) + '\n');
    expect(out.lines).toEqual(['14:31:02 INFO  GET /v1/invoices?period=2026-11 → 200 (4 ms)\n', '14:31:02 INFO  POST /v1/billing-runs → 202 (13 ms)\n']);
  });

  it('shortens a long field so the message stays readable', () => {
    const out = collector();
    const job = { id: 42, payload: { runId: 'bda49c87-5714-48fe-81cb-b2ef476d23aa', connectionId: '240a765b-cce7-4655-b4e0-344ca4d20c9e' } };
    prettyLogLines(out).write(JSON.stringify({ level: 30, time: T, job, msg: 'Completed task 42' }) + '\n');
    const shown = JSON.stringify(job).slice(0, 79);
    expect(out.lines).toEqual([`14:31:02 INFO  Completed task 42 job=${shown}…\n`]);
  });

  it('passes a line that is not JSON through as it is', () => {
    const out = collector();
    prettyLogLines(out).write('plain text\n');
    expect(out.lines).toEqual(['plain text\n']);
  });

  it('works as a pino destination', () => {
    const out = collector();
    pino({ level: 'info', base: undefined }, prettyLogLines(out)).error({ err: new TypeError('boom') }, 'failed');
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).toMatch(/^\d\d:\d\d:\d\d ERROR failed err=TypeError: boom\n$/);
  });
});

describe('where the hub logs', () => {
  it('npm start: JSON lines to stdout unless told otherwise', () => {
    expect(loadConfig({})).toMatchObject({ logFormat: 'json', logFile: null });
    expect(loadConfig({ LOG_FORMAT: 'pretty', HUB_LOG_FILE: '/var/log/hub.log' })).toMatchObject({ logFormat: 'pretty', logFile: '/var/log/hub.log' });
    expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow('LOG_FORMAT must be json or pretty, got "xml"');
  });

  it('HUB_LOG_FILE: JSON lines appended to the file, its directory made', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hub-log-'));
    try {
      const file = join(dir, 'logs', 'hub.log');
      const logger = createLogger({ logLevel: 'info', logFormat: 'json', logFile: file });
      logger.info({ port: 3000 }, 'hub running');
      logger.debug('below the level');
      const lines = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      expect(lines).toEqual([expect.objectContaining({ level: 30, msg: 'hub running', port: 3000, service: 'csp-billing-hub' })]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('npm run demo: to a file under the data directory, or readable on the terminal with LOG_LEVEL=debug', () => {
    const config = loadConfig({ HUB_DATA_DIR: '/srv/hub-demo' });
    expect(demoLogging(config, {})).toEqual({ logLevel: 'info', logFormat: 'json', logFile: '/srv/hub-demo/logs/demo.log' });
    expect(demoLogging(loadConfig({ HUB_DATA_DIR: '/srv/hub-demo', HUB_LOG_FILE: '/tmp/mine.log' }), {})).toMatchObject({ logFile: '/tmp/mine.log' });
    expect(demoLogging(config, { LOG_LEVEL: 'debug' })).toEqual({ logLevel: 'debug', logFormat: 'pretty', logFile: null });
  });
});
