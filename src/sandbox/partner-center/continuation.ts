/**
 * MS-ContinuationToken values: opaque to clients, but here a base64url JSON of
 * the position and the snapshot instant, so a paged read stays consistent even
 * if the sandbox clock moves between pages (as Microsoft's seek paging does).
 */

export interface Continuation {
  /** Which listing the token belongs to, e.g. 'customers' or a line scope key. */
  scope: string;
  offset: number;
  /** The instant the first page was read at. */
  asOfMs: number;
}

export function encodeContinuation(c: Continuation): string {
  return Buffer.from(JSON.stringify([c.scope, c.offset, c.asOfMs]), 'utf8').toString('base64url');
}

export function decodeContinuation(token: string): Continuation | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 3) return undefined;
    const [scope, offset, asOfMs] = parsed as unknown[];
    if (typeof scope !== 'string' || typeof offset !== 'number' || typeof asOfMs !== 'number') return undefined;
    if (!Number.isInteger(offset) || offset < 0) return undefined;
    return { scope, offset, asOfMs };
  } catch {
    return undefined;
  }
}
