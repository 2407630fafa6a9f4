/**
 * Log lines for a person at a terminal: pino writes JSON for machines; this turns each
 * line into `14:31:02 INFO  hub running address=http://127.0.0.1:3000`, and folds a
 * request's two lines ("incoming request", "request completed") into one,
 * `GET /v1/invoices → 200 (4 ms)`, so a busy client does not bury everything else.
 */

const LEVELS: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** pino's own fields and the request fields folded into the request line. */
const SHOWN_APART = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service', 'reqId', 'req', 'res', 'responseTime']);

interface Writable {
  write(text: string): unknown;
}

function clock(time: unknown): string {
  const date = typeof time === 'number' ? new Date(time) : new Date();
  return date.toISOString().slice(11, 19);
}

/** Longest a field's value is shown: a job's whole row or a request's headers would bury the message. */
const MAX_VALUE_CHARS = 80;

function valueText(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = /\s/.test(value) ? JSON.stringify(value) : value;
  else if (value !== null && typeof value === 'object' && 'message' in value && 'type' in value) return `${String((value as { type: unknown }).type)}: ${String((value as { message: unknown }).message)}`;
  else text = JSON.stringify(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

/**
 * A pino destination that writes readable lines to `out`.
 *
 * @example
 *   const logger = pino({ level: 'debug' }, prettyLogLines(process.stderr));
 *   logger.info({ port: 54329 }, 'embedded PostgreSQL started');
 *   // 14:31:02 INFO  embedded PostgreSQL started port=54329
 */
export function prettyLogLines(out: Writable): Writable {
  const pending = new Map<string, string>();
  return {
    write(line: string) {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return out.write(line);
      }
      const reqId = typeof entry.reqId === 'string' ? entry.reqId : undefined;
      const req = entry.req as { method?: string; url?: string } | undefined;
      if (reqId && entry.msg === 'incoming request' && req) {
        pending.set(reqId, `${req.method ?? ''} ${req.url ?? ''}`);
        return true;
      }
      const level = (LEVELS[entry.level as number] ?? String(entry.level)).padEnd(5);
      let message = String(entry.msg ?? '');
      const res = entry.res as { statusCode?: number } | undefined;
      if (reqId && entry.msg === 'request completed' && res) {
        const ms = typeof entry.responseTime === 'number' ? ` (${Math.round(entry.responseTime)} ms)` : '';
        message = `${pending.get(reqId) ?? reqId} → ${res.statusCode ?? '?'}${ms}`;
        pending.delete(reqId);
      }
      const fields = Object.entries(entry)
        .filter(([key, value]) => !SHOWN_APART.has(key) && value !== undefined)
        .map(([key, value]) => `${key}=${valueText(value)}`);
      return out.write(`${clock(entry.time)} ${level} ${[message, ...fields].join(' ')}\n`);
    },
  };
}
