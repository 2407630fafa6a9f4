import fastify, { type FastifyInstance } from 'fastify';
import { Connection, OAuth2 } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwtAssertion } from '../../../src/connectors/salesforce/auth.ts';
import { OPPORTUNITIES, startSalesforceSandbox, type SalesforceSandbox } from '../../../src/sandbox/salesforce/index.ts';
import { flowSign, salesforceFacts as facts } from '../../helpers/salesforce-vendor.ts';

let sandbox: SalesforceSandbox;
let receiver: FastifyInstance;
let receiverUrl = '';
const received: { headers: Record<string, unknown>; body: string }[] = [];

beforeAll(async () => {
  sandbox = await startSalesforceSandbox({ batchSize: 1 });
  receiver = fastify();
  receiver.removeAllContentTypeParsers();
  receiver.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  receiver.post('/webhooks/salesforce', async (req, reply) => {
    received.push({ headers: req.headers, body: req.body as string });
    return reply.code(200).type('text/xml').send(facts.outboundMessage.ack);
  });
  await receiver.listen({ host: '127.0.0.1', port: 0 });
  const address = receiver.server.address();
  receiverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/webhooks/salesforce`;
});
afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

async function clientCredentialsToken() {
  const oauth2 = new OAuth2({ loginUrl: sandbox.url, clientId: sandbox.credentials.clientId, clientSecret: sandbox.credentials.clientSecret });
  return oauth2.requestToken({ grant_type: 'client_credentials' });
}

describe('Salesforce sandbox contract', () => {
  it('issues tokens by JWT bearer and client credentials with the documented fields, and no refresh token', async () => {
    const c = sandbox.credentials;
    const jwt = await new OAuth2({ loginUrl: sandbox.url, clientId: c.clientId }).requestToken({
      grant_type: facts.oauth.jwtBearerGrant,
      assertion: jwtAssertion({ clientId: c.clientId, username: c.username, privateKey: c.privateKeyPem }, sandbox.url, Date.now()),
    });
    const cc = await clientCredentialsToken();
    for (const token of [jwt, cc]) {
      for (const field of facts.oauth.tokenResponseFields) expect(token, field).toHaveProperty(field);
      expect('refresh_token' in token).toBe(facts.oauth.issuesRefreshToken);
      expect(token.id.endsWith(`/${c.organizationId}/${token.id.split('/').pop()}`)).toBe(true);
    }
    const wrongUser = jwtAssertion({ clientId: c.clientId, username: 'someone@else.example', privateKey: c.privateKeyPem }, sandbox.url, Date.now());
    await expect(new OAuth2({ loginUrl: sandbox.url, clientId: c.clientId }).requestToken({ grant_type: facts.oauth.jwtBearerGrant, assertion: wrongUser })).rejects.toMatchObject({ name: 'invalid_grant' });
  });

  it('answers SOQL through jsforce with the documented envelope, record attributes, fields and pages', async () => {
    const token = await clientCredentialsToken();
    const conn = new Connection({ instanceUrl: token.instance_url, accessToken: token.access_token, version: '66.0' });
    const opp = OPPORTUNITIES[0]!;
    const first = await conn.query(`SELECT ${facts.objects.OpportunityLineItem.join(', ')} FROM OpportunityLineItem WHERE OpportunityId = '${opp.Id}' ORDER BY SortOrder`);
    for (const field of facts.rest.queryResponseFields) expect(first, field).toHaveProperty(field);
    expect(first.done).toBe(false); // batch size 1: the second line is on the next page
    const all = await conn.query(`SELECT ${facts.objects.OpportunityLineItem.join(', ')} FROM OpportunityLineItem WHERE OpportunityId = '${opp.Id}'`, { autoFetch: true });
    expect(all.records).toHaveLength(opp.lines.length);
    for (const line of all.records as Record<string, unknown>[]) {
      expect(Object.keys(line.attributes as object).sort()).toEqual([...facts.rest.recordAttributes].sort());
      expect(String(line.Id).slice(0, 3)).toBe(facts.objects.keyPrefixes.OpportunityLineItem);
      // Subtotal = Quantity × UnitPrice; TotalPrice less the Discount percent (hand-checked: 40 × 22 = 880, less 10 % = 792).
      if (line.ProductCode === 'CFQ7TTC0LCHC:0002') expect([line.Subtotal, line.TotalPrice]).toEqual([880, 792]);
    }
    for (const [object, where] of [['Opportunity', opp.Id], ['Account', opp.AccountId]] as const) {
      const result = await conn.query(`SELECT ${facts.objects[object].join(', ')} FROM ${object} WHERE Id = '${where}'`);
      expect(Object.keys(result.records[0]!).filter((k) => k !== 'attributes').sort()).toEqual([...facts.objects[object]].sort());
      expect(where.slice(0, 3)).toBe(facts.objects.keyPrefixes[object]);
    }
    expect(conn.limitInfo.apiUsage?.limit).toBe(100_000);
    await expect(conn.query('SELECT Nope FROM Opportunity')).rejects.toMatchObject({ errorCode: 'INVALID_FIELD' });
  });

  it('keeps a synced quote with its QuoteLineItems and their products, with the documented fields and key prefixes', async () => {
    const token = await clientCredentialsToken();
    const conn = new Connection({ instanceUrl: token.instance_url, accessToken: token.access_token, version: '66.0' });
    const opp = OPPORTUNITIES[2]!;
    const quote = sandbox.org.createSyncedQuote(opp.Id)!;
    const [synced] = (await conn.query(`SELECT SyncedQuoteId FROM Opportunity WHERE Id = '${opp.Id}'`)).records as { SyncedQuoteId: string }[];
    expect(synced!.SyncedQuoteId).toBe(quote.Id);
    const quotes = await conn.query(`SELECT ${facts.objects.Quote.join(', ')} FROM Quote WHERE Id = '${quote.Id}'`);
    expect(Object.keys(quotes.records[0]!).filter((k) => k !== 'attributes').sort()).toEqual([...facts.objects.Quote].sort());
    expect(String(quote.Id).slice(0, 3)).toBe(facts.objects.keyPrefixes.Quote);
    const lines = (await conn.query(`SELECT ${facts.objects.QuoteLineItem.join(', ')} FROM QuoteLineItem WHERE QuoteId = '${quote.Id}'`, { autoFetch: true })).records as Record<string, unknown>[];
    expect(lines).toHaveLength(opp.lines.length);
    expect(String(lines[0]!.Id).slice(0, 3)).toBe(facts.objects.keyPrefixes.QuoteLineItem);
    const products = await conn.query(`SELECT ${facts.objects.Product2.join(', ')} FROM Product2 WHERE Id = '${String(lines[0]!.Product2Id)}'`);
    expect(String(products.records[0]!.Id).slice(0, 3)).toBe(facts.objects.keyPrefixes.Product2);
    expect((products.records[0] as Record<string, unknown>).ProductCode).toBe(opp.lines[0]!.ProductCode);
    for (const field of facts.objects.quoteLineItemLacks) {
      await expect(conn.query(`SELECT ${field} FROM QuoteLineItem WHERE QuoteId = '${quote.Id}'`)).rejects.toMatchObject({ errorCode: 'INVALID_FIELD' });
    }
  });

  it('refuses over the allocation with 403 REQUEST_LIMIT_EXCEEDED and an expired session with 401 INVALID_SESSION_ID, no Retry-After', async () => {
    const token = await clientCredentialsToken();
    const query = `${sandbox.url}/services/data/v66.0/query?q=${encodeURIComponent('SELECT Id FROM Account')}`;
    const ok = await fetch(query, { headers: { authorization: `Bearer ${token.access_token}` } });
    expect(ok.headers.get(facts.rest.usageHeader)).toMatch(new RegExp(facts.rest.usageHeaderPattern));
    sandbox.setLimits({ used: 100_000 });
    const over = await fetch(query, { headers: { authorization: `Bearer ${token.access_token}` } });
    sandbox.setLimits({ used: 0 });
    expect(over.status).toBe(facts.rest.overLimit.status);
    expect(over.headers.get('retry-after')).toBeNull();
    const [overBody] = (await over.json()) as Record<string, unknown>[];
    expect(Object.keys(overBody!).sort()).toEqual([...facts.rest.errorBodyFields].sort());
    expect(overBody!.errorCode).toBe(facts.rest.overLimit.errorCode);
    sandbox.expireSessions();
    const expired = await fetch(query, { headers: { authorization: `Bearer ${token.access_token}` } });
    expect(expired.status).toBe(facts.rest.sessionExpired.status);
    expect(((await expired.json()) as { errorCode: string }[])[0]!.errorCode).toBe(facts.rest.sessionExpired.errorCode);
  });

  it("posts an Outbound Message with the documented elements, the same notification id on every redelivery; a Flow callout signed as documented", async () => {
    received.length = 0;
    const opp = OPPORTUNITIES[2]!;
    const results = await sandbox.winOpportunity(opp.Id, { deliverTo: receiverUrl, redeliveries: 1 });
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    const [first, second] = received;
    expect(first!.headers['content-type']).toMatch(/^text\/xml/);
    expect(first!.body).toContain(`<notifications xmlns="${facts.outboundMessage.namespace}">`);
    for (const element of facts.outboundMessage.headerElements) expect(first!.body).toMatch(new RegExp(`<${element}[ >/]`));
    const idOf = (xml: string) => /<Notification><Id>([^<]+)<\/Id>/.exec(xml)?.[1];
    expect(idOf(first!.body)).toMatch(/^04l/);
    expect(idOf(second!.body)).toBe(idOf(first!.body));
    expect(first!.body).toContain(`<sf:Id>${opp.Id}</sf:Id>`);
    expect(first!.body).toContain('<sf:IsWon>true</sf:IsWon>');

    received.length = 0;
    await sandbox.reopenOpportunity(opp.Id, { deliverTo: receiverUrl, via: 'flow' });
    const [flow] = received;
    expect(flow!.headers['x-hub-salesforce-signature']).toBe(flowSign(sandbox.credentials.flowSecret, flow!.body));
    expect(JSON.parse(flow!.body)).toMatchObject({ organizationId: sandbox.credentials.organizationId, opportunityId: opp.Id, isWon: false });
  });
});
