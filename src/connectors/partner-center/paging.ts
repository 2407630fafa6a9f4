import { partnerCenterDeclaration } from './declaration.ts';

/** Partner Center's `Link`: where the next page is and which headers fetch it. */
export interface PartnerCenterLink {
  uri: string;
  method?: string;
  headers?: { key: string; value: string }[];
}

/** The documented collection envelope. */
export interface PartnerCenterCollection<T> {
  totalCount?: number | string;
  items?: T[];
  links?: { self?: PartnerCenterLink; next?: PartnerCenterLink; previous?: PartnerCenterLink };
  continuationToken?: string;
  attributes?: { objectType?: string };
}

/** One page as the connector hands it out: the items and how to resume after them. */
export interface PartnerCenterPage<T> {
  items: T[];
  totalCount: number | undefined;
  /** The raw `MS-ContinuationToken` of the next page, when there is one. */
  continuationToken: string | undefined;
  /**
   * Opaque, serialisable position of the next page (its link, token included);
   * save it and pass it back as `{ cursor }` to resume. Undefined on the last page.
   */
  cursor: string | undefined;
}

interface CursorData {
  u: string;
  m?: string;
  h?: [string, string][];
}

/** Folds a `links.next` into a string a sync job can store and hand back later. */
export function encodeCursor(link: PartnerCenterLink): string {
  const data: CursorData = { u: link.uri };
  if (link.method && link.method.toUpperCase() !== 'GET') data.m = link.method.toUpperCase();
  if (link.headers?.length) data.h = link.headers.map(({ key, value }) => [key, value]);
  return Buffer.from(JSON.stringify(data)).toString('base64url');
}

export function decodeCursor(cursor: string): PartnerCenterLink {
  let data: Partial<CursorData>;
  try {
    data = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorData>;
  } catch {
    throw new TypeError('not a Partner Center paging cursor');
  }
  if (typeof data.u !== 'string') throw new TypeError('not a Partner Center paging cursor');
  return {
    uri: data.u,
    ...(data.m && { method: data.m }),
    headers: (data.h ?? []).map(([key, value]) => ({ key, value })),
  };
}

export function continuationTokenOf(link: PartnerCenterLink | undefined): string | undefined {
  const name = partnerCenterDeclaration.headers.continuationToken.toLowerCase();
  return link?.headers?.find((header) => header.key.toLowerCase() === name)?.value;
}

/**
 * Where a link points. Microsoft's links are relative to the API version
 * (`/customers?size=40&seekOperation=Next`), sometimes with the `/v1` prefix; an
 * absolute link is accepted only on the configured host, because the request will
 * carry the partner's bearer token.
 *
 * @example
 * resolveLink('https://api.partnercenter.microsoft.com', '/invoices/unbilled/lineitems?size=2000')
 * // 'https://api.partnercenter.microsoft.com/v1/invoices/unbilled/lineitems?size=2000'
 */
export function resolveLink(baseUrl: string, uri: string): string {
  const base = new URL(baseUrl);
  if (/^https?:\/\//i.test(uri)) {
    const target = new URL(uri);
    if (target.origin !== base.origin) throw new TypeError(`refusing to follow a paging link to another host (${target.origin})`);
    return target.toString();
  }
  const root = base.toString().replace(/\/+$/, '');
  const version = partnerCenterDeclaration.apiVersionPath;
  const path = uri.startsWith('/') ? uri : `/${uri}`;
  return path.toLowerCase().startsWith(`${version}/`) ? `${root}${path}` : `${root}${version}${path}`;
}

export function toPage<T>(body: PartnerCenterCollection<T> | undefined): PartnerCenterPage<T> {
  const next = body?.links?.next;
  const total = body?.totalCount === undefined ? undefined : Number(body.totalCount);
  return {
    items: body?.items ?? [],
    totalCount: total !== undefined && Number.isFinite(total) ? total : undefined,
    continuationToken: continuationTokenOf(next),
    cursor: next ? encodeCursor(next) : undefined,
  };
}
