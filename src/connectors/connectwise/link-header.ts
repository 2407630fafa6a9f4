/**
 * The `rel="next"` target of an RFC 8288 Link header, or undefined on the last page.
 *
 * @example
 * nextLink('<https://x/apis/3.0/time/entries?pageSize=2&pageId=12>; rel="next"') // 'https://x/apis/3.0/time/entries?pageSize=2&pageId=12'
 */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (!match) continue;
    const rels = /;\s*rel\s*=\s*"?([^";]+)"?/i.exec(match[2]!)?.[1]?.toLowerCase().split(/\s+/) ?? [];
    if (rels.includes('next')) return match[1];
  }
  return undefined;
}
