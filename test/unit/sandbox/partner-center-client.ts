/**
 * A minimal client for the sandbox tests: just enough HTTP to drive the token
 * endpoint, Partner Center paging and a Graph export, written against the
 * documented protocol rather than against sandbox internals.
 */
import { gunzipSync } from 'node:zlib';
import type { PartnerCenterSandbox } from '../../../src/sandbox/partner-center/index.ts';

export const PC_RESOURCE = 'https://api.partnercenter.microsoft.com';
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';

export async function token(sandbox: PartnerCenterSandbox, resource: string): Promise<string> {
  const c = sandbox.credentials;
  const res = await fetch(`${sandbox.authorityUrl}/${c.tenantId}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', client_id: c.clientId, client_secret: c.clientSecret, refresh_token: c.refreshToken, resource }),
  });
  if (res.status !== 200) throw new Error(`token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

interface Link {
  uri: string;
  method: string;
  headers: Array<{ key: string; value: string }>;
}

export interface Page<T> {
  totalCount: number;
  items: T[];
  links: { self: Link; next?: Link };
}

/** Link URIs are relative to the v1 root, except where Microsoft's example already includes '/v1'. */
export function resolveLink(sandbox: PartnerCenterSandbox, uri: string): string {
  return uri.startsWith('/v1/') ? `${sandbox.partnerCenterUrl}${uri}` : `${sandbox.partnerCenterUrl}/v1${uri}`;
}

/** Follows `links.next` (uri and continuation headers) until there is none. */
export async function getAllPages<T>(sandbox: PartnerCenterSandbox, accessToken: string, firstUrl: string): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let url: string | undefined = firstUrl;
  let headers: Record<string, string> = {};
  let pages = 0;
  while (url) {
    const res = await fetch(url, { headers: { ...headers, authorization: `Bearer ${accessToken}`, accept: 'application/json' } });
    if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
    const page = (await res.json()) as Page<T>;
    items.push(...page.items);
    pages++;
    const next = page.links.next;
    url = next ? resolveLink(sandbox, next.uri) : undefined;
    headers = Object.fromEntries((next?.headers ?? []).map((h) => [h.key, h.value]));
  }
  return { items, pages };
}

export interface ManifestJson {
  id: string;
  rootDirectory: string;
  sasToken: string;
  blobCount: number;
  blobs: Array<{ name: string; partitionValue: string }>;
  eTag: string;
  [key: string]: unknown;
}

/** POST an export, poll the operation to a terminal status, return the final operation body. */
export async function runExport(sandbox: PartnerCenterSandbox, accessToken: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const headers = { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' };
  const started = await fetch(`${sandbox.graphUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  if (started.status !== 202) throw new Error(`export: ${started.status} ${await started.text()}`);
  const location = started.headers.get('location');
  if (!location) throw new Error('export: no Location header');
  for (let i = 0; i < 20; i++) {
    const res = await fetch(location, { headers });
    const op = (await res.json()) as Record<string, unknown>;
    if (op.status !== 'running') return op;
  }
  throw new Error('export never finished');
}

export async function downloadBlob(manifest: ManifestJson, index: number): Promise<Buffer> {
  const blob = manifest.blobs[index];
  if (!blob) throw new Error(`no blob ${index}`);
  const res = await fetch(`${manifest.rootDirectory}/${blob.name}?${manifest.sasToken}`);
  if (res.status !== 200) throw new Error(`blob: ${res.status} ${await res.text()}`);
  return Buffer.from(await res.arrayBuffer());
}

export async function exportLines(manifest: ManifestJson): Promise<Array<Record<string, unknown>>> {
  const lines: Array<Record<string, unknown>> = [];
  for (let i = 0; i < manifest.blobs.length; i++) {
    const text = gunzipSync(await downloadBlob(manifest, i)).toString('utf8');
    for (const line of text.split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
  }
  return lines;
}
