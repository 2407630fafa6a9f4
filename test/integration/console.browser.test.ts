import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium.ts';
import { ingestUsageRecords } from '../helpers/ingest-records.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';
import { usageRecord } from '../helpers/usage-fixtures.ts';

// The console in real Chromium against a real hub (HTTP on a port, real PostgreSQL, a real
// worker): sign-in and sign-out, the dual approval of a rate card in two sessions, a close
// watched live until its invoices appear, a PDF download, a client confined to its own
// customer, CSRF refusals, both screen sizes without horizontal overflow, keyboard reach,
// and not one console error. Screenshots go to test-output/console/ for review.

// Functions given to page.evaluate run in the page; the project compiles without the DOM library.
declare const document: any;

const SHOTS = join(import.meta.dirname, '..', '..', 'test-output', 'console');
const SIZES = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
];
const TENANT = { mine: 'd0d0d0d0-0000-4000-8000-0000000000a1', theirs: 'd0d0d0d0-0000-4000-8000-0000000000b2' };

let hub: TestHub;
let browser: Browser;
let base: string;
const ids = { mine: '', theirs: '', card: '' };
const problems: string[] = [];

async function api(method: string, url: string, key: string, payload?: object) {
  const res = await hub.app.inject({ method: method as 'POST', url, headers: hub.auth(key), ...(payload ? { payload } : {}) });
  expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
  return res.json();
}

/** A fresh browser session whose console errors and failed page scripts are collected. */
async function session(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: SIZES[0], acceptDownloads: true });
  const page = await context.newPage();
  page.on('console', (msg) => {
    // A refused page (403, 404) is logged by Chromium as a failed resource load: expected where a test asks for one.
    if (msg.type() === 'error' && !/status of 40[134]/.test(msg.text())) problems.push(`${page.url()}: ${msg.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`${page.url()}: ${error.message}`));
  return { context, page };
}

async function signIn(page: Page, key: string): Promise<void> {
  await page.goto(`${base}/console/sign-in`);
  await page.fill('#key', key);
  await Promise.all([page.waitForURL(/\/console\/(dashboard|customers\/)/), page.click('button[type=submit]')]);
}

/** At both sizes: no horizontal overflow, and a screenshot to review. */
async function checkLayout(page: Page, name: string): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize(size);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, `${name} at ${size.width} px overflows sideways`).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(SHOTS, `${name}-${size.width}.png`), fullPage: true });
  }
  await page.setViewportSize(SIZES[0]!);
}

/** Tab from the top of the page: the skip link comes first and every control is reached. */
async function checkKeyboard(page: Page): Promise<void> {
  const total = await page.evaluate(() => {
    const controls: any[] = [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, [tabindex="0"]')];
    controls.forEach((el, i) => el.setAttribute('data-k', String(i)));
    document.activeElement?.blur();
    return controls.length;
  });
  const reached = new Set<string>();
  for (let i = 0; i < total + 5; i++) {
    await page.keyboard.press('Tab');
    const k = await page.evaluate(() => document.activeElement?.getAttribute('data-k') ?? null);
    if (i === 0) expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    if (k !== null) reached.add(k);
  }
  expect(reached.size, `${page.url()}: controls reached by Tab`).toBe(total);
}

/** One row in each triage queue, so their tables are laid out at both widths. */
async function seedTriageQueues(customerId: string): Promise<void> {
  const db = hub.ctx.db;
  const connection = await db.insertInto('connections').values({ provider: 'connectwise', name: 'ConnectWise', credentials_encrypted: 'unused' }).returning('id').executeTakeFirstOrThrow();
  await db
    .insertInto('anomalies')
    .values({ customer_id: customerId, rule: 'spend_velocity', subject: '2026-10-04', severity: 'warning', observed_on: '2026-10-04', amount_at_stake: '96.10', currency: 'USD', message: 'Spend is 6.2 times the 7-day average', evidence: JSON.stringify({ spend: '114.40', trailingAverage: '18.30', window: 7 }) })
    .execute();
  await db
    .insertInto('drift_findings')
    .values({ finding_key: 'browser:markup', connection_id: connection.id, customer_id: customerId, system: 'connectwise', field: 'rate_card.markup_percent', subject: 'category:Virtual Machines', owner: 'hub', owner_value: '15', other_value: '10', money_at_stake: '23.75', currency: 'USD', vendor_ref: JSON.stringify({ agreementId: 77 }) })
    .execute();
  await db
    .insertInto('psa_todos')
    .values({ connection_id: connection.id, customer_id: customerId, kind: 'increase', sku: 'CFQ7TTC0LCHC:0002', product: 'M365-BP', agreement_id: '77', addition_id: '501', microsoft_quantity: '25', psa_quantity: '22', fingerprint: 'browser:todo', planned_write: JSON.stringify({ method: 'PATCH', path: '/finance/agreements/77/additions/501', operations: [{ op: 'replace', path: 'quantity', value: 25 }] }) })
    .execute();
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
  hub = await createTestHub({ worker: true });
  await ingestUsageRecords(hub.database, [
    usageRecord({ CustomerId: TENANT.mine, CustomerName: 'Northwind Traders' }),
    usageRecord({ CustomerId: TENANT.mine, CustomerName: 'Northwind Traders', UsageDate: '10/4/2026 0:00', MeterCategory: 'Storage', MeterId: 'meter-lrs' }),
    usageRecord({ CustomerId: TENANT.theirs, CustomerName: 'Tailspin Toys' }),
  ]);
  const links = await hub.ctx.db.selectFrom('external_links').select(['entity_id', 'external_id']).where('entity', '=', 'customer').execute();
  ids.mine = links.find((l) => l.external_id === TENANT.mine)!.entity_id;
  ids.theirs = links.find((l) => l.external_id === TENANT.theirs)!.entity_id;
  for (const customerId of [ids.mine, ids.theirs]) {
    const card = await api('POST', '/v1/rate-cards', hub.keys.admin, {
      name: customerId === ids.mine ? 'Northwind prices' : 'Tailspin prices',
      customerId,
      currency: 'USD',
      effectiveFrom: '2026-09-01',
      rules: [{ match: { default: true }, basis: 'cost', markupPercent: '15' }],
    });
    for (const key of [hub.keys.sales_ops, hub.keys.finance]) await api('POST', `/v1/rate-cards/${card.id}/versions/1/approve`, key, {});
    if (customerId === ids.mine) ids.card = card.id;
  }
  await api('POST', `/v1/rate-cards/${ids.card}/versions`, hub.keys.admin, {
    currency: 'USD',
    effectiveFrom: '2026-10-01',
    justification: 'Volume discount agreed',
    rules: [{ match: { default: true }, basis: 'cost', markupPercent: '12' }],
  });
  await hub.ctx.db
    .insertInto('subscriptions')
    .values({ customer_id: ids.mine, status: 'active', friendly_name: 'Microsoft 365 Business Premium', quantity: 25, term_duration: 'P1Y', billing_cycle: 'monthly', auto_renew: true, commitment_end_date: '2027-03-31' })
    .execute();
  await seedTriageQueues(ids.mine);
  await hub.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await hub?.close();
});

describe('the web console in Chromium', () => {
  it('signs in with a key, shows the dashboard, is keyboard reachable, and signs out', async () => {
    const { context, page } = await session();
    await page.goto(`${base}/console/dashboard`);
    expect(page.url()).toBe(`${base}/console/sign-in`);
    await checkLayout(page, 'sign-in');
    await page.fill('#key', 'hub_000000000000_notakeyatallnotakey');
    await page.click('button[type=submit]');
    expect(await page.textContent('[role=alert]')).toContain('unknown or revoked');
    await signIn(page, hub.keys.admin);
    expect(await page.textContent('h1')).toBe('Dashboard');
    expect(await page.textContent('main')).toContain('Rate card versions awaiting approval');
    const cookie = (await context.cookies()).find((c) => c.name === 'hub_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(await page.evaluate(() => document.cookie)).toBe('');
    await checkLayout(page, 'dashboard');
    await checkKeyboard(page);
    for (const name of ['customers', 'close', 'quote-exceptions', 'psa-todos', 'drift', 'anomalies', 'mappings']) {
      expect((await page.goto(`${base}/console/${name}`))!.status(), name).toBe(200);
      await checkLayout(page, name);
    }
    // The triage forms in table cells (the drift finding's resolve form) are reached by Tab too.
    await page.goto(`${base}/console/drift`);
    await checkKeyboard(page);
    await page.goto(`${base}/console/customers`);
    await page.click('text=Northwind Traders');
    expect(await page.textContent('h1')).toBe('Northwind Traders');
    await Promise.all([page.waitForURL(/sign-in/), page.getByRole('button', { name: 'Sign out' }).click()]);
    await page.goto(`${base}/console/dashboard`);
    expect(page.url()).toBe(`${base}/console/sign-in`);
    await context.close();
  });

  it('saves a field mapping version with a reason, shows its history and rolls back; filters drift by customer name', async () => {
    const connection = await hub.ctx.db.insertInto('connections').values({ provider: 'hubspot', name: 'HubSpot', credentials_encrypted: 'unused' }).returning('id').executeTakeFirstOrThrow();
    const { context, page } = await session();
    await signIn(page, hub.keys.admin);
    await page.goto(`${base}/console/connections/${connection.id}/mappings`);
    await page.click('text=line_item');
    expect(await page.textContent('h1')).toBe('hubspot line_item mapping, version 0');
    await checkLayout(page, 'mapping-detail');
    await checkKeyboard(page);
    const rules = JSON.parse(await page.inputValue('#draft')) as { id: string; source?: string }[];
    const draft = rules.map((r) => (r.id === 'unit-cost' ? { ...r, source: 'properties.msp_unit_cost' } : r));
    await page.fill('#draft', JSON.stringify(draft));
    await page.fill('#reason', 'Our cost is the distributor price');
    await Promise.all([page.waitForURL(/done=/), page.getByRole('button', { name: 'Save as a new version' }).click()]);
    expect(await page.textContent('[role=status]')).toBe('Saved as version 1.');
    expect(await page.textContent('h1')).toBe('hubspot line_item mapping, version 1');
    const history = await page.locator('table', { hasText: 'Built-in default' }).innerText();
    expect(history).toMatch(/1 \(in force\)\s+Our cost is the distributor price/);
    await checkLayout(page, 'mapping-history');
    await page.fill('#rollback-reason-0', 'Back to HubSpot unit cost');
    await Promise.all([page.waitForURL(/done=/), page.getByRole('button', { name: 'Roll back to version 0' }).click()]);
    expect(await page.textContent('[role=status]')).toBe('Version 0 is back in force as version 2.');
    const stored = await hub.ctx.db.selectFrom('field_mappings').select(['version', 'copied_from']).where('connection_id', '=', connection.id).orderBy('version').execute();
    expect(stored).toEqual([
      { version: 1, copied_from: null },
      { version: 2, copied_from: 0 },
    ]);

    await page.goto(`${base}/console/drift`);
    expect(await page.locator('table tbody').innerText()).toContain('Northwind Traders');
    await page.selectOption('#customerId', { label: 'Tailspin Toys' });
    await Promise.all([page.waitForURL(/customerId=/), page.getByRole('button', { name: 'Filter' }).click()]);
    expect(await page.textContent('main')).toContain('No open drift findings.');
    await page.selectOption('#customerId', { label: 'Northwind Traders' });
    await Promise.all([page.waitForURL(new RegExp(`customerId=${ids.mine}`)), page.getByRole('button', { name: 'Filter' }).click()]);
    expect(await page.locator('table tbody').innerText()).toContain('23.75 USD');
    await checkLayout(page, 'drift-filtered');
    await context.close();
  });

  it('resolves a drift finding from its row, with a reason, and the queue no longer lists it', async () => {
    const { context, page } = await session();
    await signIn(page, hub.keys.finance);
    await page.goto(`${base}/console/drift`);
    const finding = await hub.ctx.db.selectFrom('drift_findings').select('id').where('finding_key', '=', 'browser:markup').executeTakeFirstOrThrow();
    await page.selectOption(`#action-${finding.id}`, 'ignore');
    await page.fill(`#reason-${finding.id}`, 'Agreed 10 % with the client until renewal');
    await Promise.all([page.waitForURL(/done=ignore/), page.locator(`form[action="/console/drift/${finding.id}/resolve"] button`).click()]);
    expect(await page.textContent('main')).toContain('No open drift findings.');
    const stored = await hub.ctx.db.selectFrom('drift_findings').select(['status', 'resolution', 'resolution_note']).where('id', '=', finding.id).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ status: 'ignored', resolution: 'ignore', resolution_note: 'Agreed 10 % with the client until renewal' });
    await context.close();
  });

  it('approves a rate card version as sales_ops, then as finance, in two sessions, after reading the diff', async () => {
    const sales = await session();
    const finance = await session();
    await signIn(sales.page, hub.keys.sales_ops);
    await signIn(finance.page, hub.keys.finance);
    await sales.page.goto(`${base}/console/rate-cards`);
    await checkLayout(sales.page, 'rate-cards');
    await sales.page.click('text=Northwind prices');
    const diff = await sales.page.locator('table').first().innerText();
    expect(diff).toMatch(/rule default\s+cost \+ 15 %\s+cost \+ 12 %/);
    expect(diff).toMatch(/effective from\s+2026-09-01\s+2026-10-01/);
    await checkLayout(sales.page, 'rate-card-version');
    await sales.page.fill('#comment', 'Matches the signed quote');
    await Promise.all([sales.page.waitForURL(/done=approved/), sales.page.getByRole('button', { name: 'Approve' }).click()]);
    expect(await sales.page.textContent('main')).toContain('awaiting finance');
    await finance.page.goto(sales.page.url().replace(/\?.*$/, ''));
    await Promise.all([finance.page.waitForURL(/done=approved/), finance.page.getByRole('button', { name: 'Approve' }).click()]);
    expect(await finance.page.textContent('main')).toMatch(/Status: approved/);
    const stored = await hub.ctx.db.selectFrom('rate_card_versions').select('status').where('rate_card_id', '=', ids.card).where('version', '=', 2).executeTakeFirstOrThrow();
    expect(stored.status).toBe('approved');
    await sales.context.close();
    await finance.context.close();
  });

  it('closes a month, follows its progress, shows the invoices it issued, and downloads a PDF', async () => {
    const { context, page } = await session();
    await signIn(page, hub.keys.billing_ops);
    await page.goto(`${base}/console/close`);
    await page.fill('#period', '2026-10');
    await Promise.all([page.waitForURL(/billing-runs\//), page.getByRole('button', { name: 'Close the month' }).click()]);
    await page.waitForSelector('text=Invoices of 2026-10', { timeout: 45_000 });
    const rows = page.locator('table tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await page.textContent('table')).toContain('Northwind Traders');
    await checkLayout(page, 'close-result');
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('a', { hasText: 'PDF' }).first().click()]);
    const pdf = readFileSync((await download.path())!);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    await context.close();
  }, 90_000);

  it("shows a client its own subscriptions, invoices, usage and lineage-free lines, and nobody else's by URL", async () => {
    const portal = await hub.keyFor(['portal'], ids.mine);
    const theirs = await hub.ctx.db.selectFrom('invoices').select('id').where('customer_id', '=', ids.theirs).executeTakeFirstOrThrow();
    const { context, page } = await session();
    await signIn(page, portal);
    expect(page.url()).toBe(`${base}/console/customers/${ids.mine}`);
    const subs = await page.locator('table').innerText();
    expect(subs).toMatch(/Microsoft 365 Business Premium\s+25\s/);
    expect(subs).toContain('2027-03-31');
    await checkLayout(page, 'portal-subscriptions');
    await checkKeyboard(page);
    await page.click('nav[aria-label=Customer] >> text=Invoices');
    expect(await page.locator('table tbody tr').count()).toBe(1);
    await checkLayout(page, 'portal-invoices');
    await page.locator('table tbody a').first().click();
    expect(await page.textContent('h1')).toContain('Invoice');
    expect(await page.locator('table tbody a').count()).toBe(0); // no lineage links for a client
    await checkLayout(page, 'portal-invoice');
    await page.goto(`${base}/console/customers/${ids.mine}/usage`);
    await page.waitForSelector('#usage-chart canvas');
    expect(await page.locator('table thead').innerText()).toMatch(/Day\s+compute\s+storage\s+Total/);
    await checkLayout(page, 'portal-usage');

    const other = await page.goto(`${base}/console/invoices/${theirs.id}`);
    expect(other!.status()).toBe(404);
    expect(await page.textContent('body')).not.toContain('Tailspin');
    const otherCustomer = await page.goto(`${base}/console/customers/${ids.theirs}/invoices`);
    expect(otherCustomer!.status()).toBe(403);
    const direct = await page.evaluate(async (id) => (await fetch(`/v1/portal/invoices/${id}`)).status, theirs.id);
    expect(direct).toBe(404);
    await context.close();
  });

  it('shows staff the lineage of an invoice line on click', async () => {
    const { context, page } = await session();
    await signIn(page, hub.keys.auditor);
    const invoice = await hub.ctx.db.selectFrom('invoices').select('id').where('customer_id', '=', ids.mine).executeTakeFirstOrThrow();
    await page.goto(`${base}/console/invoices/${invoice.id}`);
    await page.locator('table tbody a').first().click();
    expect(await page.textContent('h1')).toContain('Lineage');
    expect(await page.locator('table').innerText()).toMatch(/v2 ·/);
    await checkLayout(page, 'lineage');
    await context.close();
  });

  it('refuses a write made with the session cookie but without the CSRF token', async () => {
    const { context, page } = await session();
    await signIn(page, hub.keys.admin);
    const bare = await page.evaluate(async () => {
      const res = await fetch('/v1/billing-runs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ period: '2026-09' }) });
      return { status: res.status, body: (await res.json()) as { detail: string } };
    });
    expect(bare.status).toBe(403);
    expect(bare.body.detail).toContain('CSRF');
    await page.goto(`${base}/console/close`);
    await page.evaluate(() => document.querySelector('form[action="/console/close"] input[name=_csrf]')!.remove());
    await page.fill('#period', '2026-09');
    const [answer] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/console/close') && r.request().method() === 'POST'), page.getByRole('button', { name: 'Close the month' }).click()]);
    expect(answer.status()).toBe(403);
    expect(await page.textContent('[role=alert]')).toContain('CSRF');
    expect(await hub.ctx.db.selectFrom('billing_runs').select('id').where('period', '=', '2026-09').execute()).toEqual([]);
    await context.close();
  });

  it('wrote no error to the browser console on any page', () => {
    expect(problems).toEqual([]);
  });
});
