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
