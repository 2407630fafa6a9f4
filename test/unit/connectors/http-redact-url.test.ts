import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../../src/connectors/http/redact-url.ts';

describe('redactUrl', () => {
  it('hides an Azure Storage SAS signature but keeps its harmless parts', () => {
    expect(redactUrl('https://acct.blob.core.windows.net/c/b.json.gz?sv=2021-08-06&sp=rl&sig=abc%3D')).toBe(
      'https://acct.blob.core.windows.net/c/b.json.gz?sv=2021-08-06&sp=rl&sig=REDACTED',
    );
  });

  it('hides tokens, secrets, codes and user-info', () => {
    expect(redactUrl('https://user:pw@h.test/cb?code=xyz&state=1&access_token=t&client_secret=s&api_key=k')).toBe(
      'https://h.test/cb?code=REDACTED&state=1&access_token=REDACTED&client_secret=REDACTED&api_key=REDACTED',
    );
  });

  it('leaves ordinary Partner Center query parameters readable', () => {
    const url = 'https://api.partnercenter.microsoft.com/v1/invoices/unbilled/lineitems?provider=onetime&currencycode=USD&period=current&size=2000';
    expect(redactUrl(url)).toBe(url);
  });

  it('drops a string that is not a URL rather than risk leaking it', () => {
    expect(redactUrl('not a url?token=secret')).toBe('[unparseable url]');
  });
});
