import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectDrift } from '../../src/jobs/drift/detect.ts';
import { quoteToCash } from '../../src/jobs/hubspot/quote-to-cash.ts';
import { startHubSpotSandbox, type HubSpotSandbox } from '../../src/sandbox/hubspot/index.ts';
import { closeSmallMonth } from '../helpers/closed-month.ts';
import { connectHubSpotSandbox } from '../helpers/hubspot-connection.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// A markup difference is worth what the category actually cost last period, not the
// cost the CRM quoted.

let sandbox: HubSpotSandbox;
let hub: TestHub;

const call = async (url: string, key: string, payload?: object) => hub.app.inject({ method: payload ? 'POST' : 'GET', url, headers: hub.auth(key), ...(payload ? { payload } : {}) });

beforeAll(async () => {
  sandbox = await startHubSpotSandbox();
  hub = await createTestHub({ worker: true });
  // Contoso's October is closed: compute cost 1.95 + 8.16 = 10.11 on its invoice.
  await closeSmallMonth(hub, 'c0ffee00-0000-4000-8000-000000000001', 'Contoso Ltd');
  const connectionId = await connectHubSpotSandbox(hub, sandbox);
  await sandbox.winDeal('9001');
  const quoted = await quoteToCash({ connectionId, dealId: '9001' }, hub.ctx);
  if (quoted.outcome !== 'quoted') throw new Error(JSON.stringify(quoted));
  const pending = await hub.ctx.db.selectFrom('rate_card_versions').select('version').where('rate_card_id', '=', quoted.rateCardId).where('status', '=', 'pending').executeTakeFirstOrThrow();
  for (const key of [hub.keys.sales_ops, hub.keys.finance]) {
    const res = await call(`/v1/rate-cards/${quoted.rateCardId}/versions/${pending.version}/approve`, key, {});
    expect(res.statusCode, res.body).toBe(200);
  }
}, 90_000);
afterAll(async () => {
  await hub.close();
  await sandbox.close();
});

describe('money at stake of a markup difference', () => {
  it("is the markup difference on the category's cost in the last invoiced period", async () => {
    // HubSpot's compute line raised from 1,150 to 1,200 on a quoted 1,000 cost: 20 % against the card's 15 %.
    sandbox.editObject('line_items', '7003', { price: '1200.00' });
    expect(await detectDrift(hub.ctx)).toMatchObject({ opened: 1 });
    const [finding] = (await call('/v1/drift-findings?field=rate_card.markup_percent', hub.keys.auditor)).json().items;
    // 5 points on October's actual compute cost of 10.11 = 0.5055 → 0.51 (not 50.00 on the quoted 1,000).
    expect(finding).toMatchObject({ subject: 'category:compute', ownerValue: '15', otherValue: '20', moneyAtStakePerMonth: '0.51', currency: 'USD' });
    expect(finding.vendorRef).toMatchObject({ stakeBasis: 'cost of 2026-10: 10.11' });
  });
});
