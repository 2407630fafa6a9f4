// Query parameters that carry credentials: OAuth codes and tokens, API keys, and
// the signature of an Azure Storage SAS (`sig`), without which the rest of a SAS is
// harmless and still useful for debugging (expiry, permissions).
// Whole names, not substrings: `currencycode` and `keyword` are not secrets.
const SECRET_PARAM = /^(code|sig|signature|sas|key|apikey|password|passwd)$|(token|secret|password|[-_]key)$/i;

/**
 * A URL safe to log or put in an error: user-info dropped and the value of every
 * credential-looking query parameter replaced by `REDACTED`.
 *
 * @example
 * redactUrl('https://acct.blob.core.windows.net/c/b.json.gz?sv=2021&sig=abc')
 * // 'https://acct.blob.core.windows.net/c/b.json.gz?sv=2021&sig=REDACTED'
 */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(url.toString());
  } catch {
    // Not a URL we can reason about: better to lose it than leak it.
    return '[unparseable url]';
  }
  parsed.username = '';
  parsed.password = '';
  for (const name of [...new Set(parsed.searchParams.keys())]) {
    if (SECRET_PARAM.test(name)) parsed.searchParams.set(name, 'REDACTED');
  }
  return parsed.toString();
}
