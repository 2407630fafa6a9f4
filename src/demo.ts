import type { HubConfig } from './config.ts';
import { runHub } from './cli.ts';
import { createApiKey } from './db/api-keys.ts';
import { createCustomer } from './server/routes/customers.ts';

const DEMO_ACTOR = { actor: 'system:demo' };

/** `npm run demo`: the hub on embedded PostgreSQL with a seeded customer, and where to look. */
export async function runDemo(config: HubConfig): Promise<number> {
  return runHub(config, { api: true, worker: true }, async (runtime, address) => {
    const { db } = runtime.ctx;
    const existing = await db.selectFrom('customers').select('id').where('name', '=', 'Contoso Ltd (demo)').executeTakeFirst();
    if (!existing) {
      await db.transaction().execute((trx) =>
        createCustomer(trx, { name: 'Contoso Ltd (demo)', billingCurrency: 'USD', billingEmail: 'ap@contoso.example' }, DEMO_ACTOR),
      );
    }
    const { key } = await createApiKey(db, { name: `demo ${new Date().toISOString()}`, roles: ['admin'], customerId: null }, DEMO_ACTOR);
    const lines = [
      '',
      'CSP Billing Hub demo is running',
      `  API        ${address}`,
      `  Docs       ${address}/docs`,
      `  Health     ${address}/health`,
      `  Admin key  ${key}`,
      `  Try        curl -H "Authorization: Bearer ${key}" ${address}/v1/customers`,
      '  Stop       Ctrl-C (drains requests and jobs, then stops the embedded database)',
      '',
    ];
    process.stdout.write(lines.join('\n') + '\n');
  });
}
