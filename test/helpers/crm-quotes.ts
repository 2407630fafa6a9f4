import { runOnce } from 'graphile-worker';
import { expect } from 'vitest';
import { buildTaskList } from '../../src/jobs/task-list.ts';
import type { TestHub } from './test-hub.ts';

/** What the CRM quote-to-cash tests ask of a test hub: run the queued jobs, read the API and the quote tables. */
export function crmQuoteProbe(hub: () => TestHub) {
  return {
    work: () => runOnce({ pgPool: hub().database.pool, taskList: buildTaskList(hub().ctx) }),
    get: async (url: string) => {
      const res = await hub().app.inject({ method: 'GET', url, headers: hub().auth(hub().keys.finance) });
      expect(res.statusCode, res.body).toBe(200);
      return res.json();
    },
    customersLinkedTo: (system: string, externalId: string) =>
      hub().ctx.db.selectFrom('external_links').select('entity_id').where('entity', '=', 'customer').where('system', '=', system).where('external_id', '=', externalId).execute(),
    quotesOf: (customerId: string) => hub().ctx.db.selectFrom('quotes').selectAll().where('customer_id', '=', customerId).orderBy('revision').execute(),
  };
}

/** The thirty-day trial template capped at 750.00 the onboarding tests win deals with. */
export const TRIAL_TEMPLATE = { name: 'Trial', costNodes: [], invoiceFormat: 'summary', reviewCadence: 'monthly', trial: { spendCap: '750', days: 30 }, justification: 'Thirty-day pilot' };

/** Saves an onboarding template through the API as sales_ops. */
export async function saveOnboardingTemplate(hub: TestHub, key: string, payload: object): Promise<void> {
  const res = await hub.app.inject({ method: 'PUT', url: `/v1/onboarding-templates/${key}`, headers: hub.auth(hub.keys.sales_ops), payload });
  expect(res.statusCode, res.body).toBe(200);
}
