import { autotaskDeclaration } from './declaration.ts';
import type { ZoneInformation } from './types.ts';

/**
 * Which zone serves an API user's database, from Autotask's zone-information call
 * (unauthenticated, outside the thread limit). Returns the REST root with its version.
 *
 * @example
 * await discoverZone('hub@example.com') // { ..., apiUrl: 'https://webservices5.autotask.net/ATServicesRest/v1.0/' }
 */
export async function discoverZone(username: string, options: { zoneInformationUrl?: string; fetch?: typeof fetch } = {}): Promise<ZoneInformation & { apiUrl: string }> {
  const url = new URL(options.zoneInformationUrl ?? autotaskDeclaration.zoneInformationUrl);
  url.searchParams.set('user', username);
  const response = await (options.fetch ?? fetch)(url, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`Autotask zone information for ${username}: HTTP ${response.status}`);
  const zone = (await response.json()) as Partial<ZoneInformation>;
  if (typeof zone.url !== 'string' || !/^https?:\/\//.test(zone.url)) throw new Error(`Autotask zone information for ${username} names no zone url`);
  return { ...(zone as ZoneInformation), apiUrl: apiUrlOf(zone.url) };
}

/** The zone's REST root with the pinned version (`.../ATServicesRest/v1.0/`). */
export function apiUrlOf(zoneUrl: string): string {
  return `${zoneUrl.replace(/\/*$/, '/')}${autotaskDeclaration.apiVersionPath}`;
}
