import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.ts';
import { Decimal } from '../../src/engine/decimal.ts';
import { ConnectWiseAccount } from '../../src/sandbox/connectwise/account.ts';
import { COMPANIES } from '../../src/sandbox/connectwise/catalog.ts';

// `npm run demo` as a newcomer runs it: a fresh data directory (made by mkdtemp, so only
// its owner may enter: as root the embedded PostgreSQL's user must still get in), the
// sandbox Partner Center, and what the terminal shows. Slow (a whole sync and close), so
// one run serves every check.
const ROOT = join(import.meta.dirname, '..', '..');
let dir: string | undefined;
let stop: (() => void) | undefined;

afterAll(async () => {
  stop?.();
  if (dir) await rm(dir, { recursive: true, force: true }).catch(() => {});
});

describe('npm run demo', () => {
  it('shows progress, a clean summary and where to look; logs to a file; invoices every customer with named subscriptions; turns a won deal in each CRM into a pending card', async () => {
    dir = await mkdtemp(join(tmpdir(), 'hub-demo-'));
    const dataDir = dir;
    const env: NodeJS.ProcessEnv = { ...process.env, HUB_DATA_DIR: dataDir, PORT: String(await freePort()), HUB_PG_PORT: String(await freePort()), HOST: '127.0.0.1' };
    for (const name of ['DATABASE_URL', 'HUB_SECRET_KEY', 'LOG_LEVEL', 'LOG_FORMAT', 'HUB_LOG_FILE', 'DEMO_CUSTOMERS']) delete env[name];
    // Invoices are written under the working directory's out/.
    const child = spawn(process.execPath, [join(ROOT, 'src', 'cli.ts'), 'demo'], { cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    stop = () => child.exitCode === null && child.kill('SIGKILL');
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 240_000;
    while (!stdout.includes('Stop       Ctrl-C') && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(stdout, stderr).toContain('The hub is running');

    // It says where the metrics are, and the admin key it prints reads them.
    const api = /API +(http:\/\/\S+)/.exec(stdout)?.[1];
    const adminKey = /Admin key +(\S+)/.exec(stdout)?.[1];
    expect(stdout).toContain(`Metrics    ${api}/metrics`);
    const metrics = await fetch(`${api}/metrics`, { headers: { authorization: `Bearer ${adminKey}` } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^hub_tag_compliance_ratio\{/m);

    // Not one JSON log line on the terminal: they went to the file it names.
    const terminal = `${stdout}\n${stderr}`.split(/[\r\n]+/);
    expect(terminal.filter((l) => l.trimStart().startsWith('{'))).toEqual([]);
    const logFile = join(dataDir, 'logs', 'demo.log');
    expect(stdout).toContain(`Log        ${logFile}`);
    const logged = (await readFile(logFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
    expect(logged.filter((l) => l.msg === 'request completed').length).toBeGreaterThan(100);

    // The summary: nothing unmapped, little unallocated, an invoice for every customer.
    const period = /Month-end close for (\d{4}-\d{2}): succeeded/.exec(stdout)?.[1];
    expect(period, stdout).toBeDefined();
    expect(stdout).toContain('invoices      12 issued, 0 unchanged, 0 held');
    expect(stdout).toContain('checks        0 unmapped lines');
    const shares = [...stdout.matchAll(/unallocated [0-9.]+ \(([0-9.]+) % of price\)/g)].map((m) => Number(m[1]));
    expect(shares.length).toBeGreaterThan(0);
    for (const share of shares) expect(share).toBeLessThan(20);
    expect(stdout).toContain('Every customer has an invoice.');
    // At least one anomaly (the sandbox's other tenants may hold idle SKUs too): a SKU bought and barely assigned for a week, with the money idle each month.
    expect(stdout).toMatch(/Anomalies {4}[1-9]\d* open low-utilisation finding\(s\) \(GET \/v1\/anomalies[^\n]*\n {2}critical [A-Z0-9_]+: \d+ of \d+ licences in use \([\d.]+ %\), under 10 % since \d{4}-\d{2}-\d{2}: \d+\.\d{2} [A-Z]{3} a month idle/);
    // Labour from the sandbox ConnectWise on the same invoices as Microsoft's charges. The
    // expectation is ConnectWise's own records (the sandbox's entries for the demo's seed and
    // month): per company, billed hours × the entry's hourly rate.
    expect(stdout).toContain('PSA: 30 ConnectWise (sandbox) time entries synced before the close');
    const vendor = new ConnectWiseAccount({ seed: 'demo', timeEntries: 30, period: period! });
    const combined = [...stdout.matchAll(/\n {2}(INV-\S+) ([^\n]+): infrastructure ([0-9.]+), labour ([0-9.]+), total USD ([0-9.]+)/g)];
    expect(combined).toHaveLength(COMPANIES.length);
    for (const [i, [, number, , , labour, total]] of combined.entries()) {
      const company = COMPANIES[i]!.id;
      const billed = [...vendor.entries.values()].filter((e) => (e.company as { id: number }).id === company && e.billableOption === 'Billable');
      expect(labour).toBe(billed.reduce((s, e) => s.plus(new Decimal(e.hoursBilled as number).times(e.hourlyRate as number)), new Decimal(0)).toFixed(2));
      // The same invoice in the summary table above, at the same total.
      expect(stdout).toMatch(new RegExp(`${number} +USD +[0-9.]+ +${total!.replace('.', '\\.')} `));
    }
    const engagements = [...stdout.matchAll(/engagement \S+: labour ([0-9.]+) \+ infrastructure ([0-9.]+) = subtotal ([0-9.]+)/g)];
    expect(engagements.length).toBeGreaterThan(0);
    for (const [, labour, infrastructure, subtotal] of engagements) expect(new Decimal(labour!).plus(infrastructure!).toFixed(2)).toBe(subtotal);
    expect(engagements.some(([, labour, infrastructure]) => new Decimal(labour!).gt(0) && new Decimal(infrastructure!).gt(0))).toBe(true);
    // The seat reconciliation: the demo's ConnectWise agreement bills three seats fewer than Microsoft.
    expect(stdout).toMatch(/PSA to-dos {3}\d+ open \(GET \/v1\/psa-todos/);
    const increase = /\n {2}increase +[^\n]+: Microsoft (\d+) seats, ConnectWise (\d+)/.exec(stdout);
    expect(increase, stdout).not.toBeNull();
    expect(Number(increase![1]) - Number(increase![2])).toBe(3);

    // One consent expiring, flagged by the GDAP review and still synced and invoiced.
    expect(stdout).toMatch(/GDAP consent {2}11 active, 1 expiring \(GET \/v1\/consents\)\n {2}[^\n]+: expiring in 12 days, renew its relationship in Partner Center/);

    // One deal won in each sandbox CRM became a quote, a baseline and a pending card version
    // (hand-checked: HubSpot 25 × 21.00 + 10 × 34.20 + 1,150 + 240; Salesforce 40 × 19.80 + 2,300).
    expect(stdout).toContain('CRM deals won (quote-to-cash)');
    expect(stdout).toContain('HubSpot    Contoso - Microsoft 365 and Azure → Contoso Ltd');
    expect(stdout).toContain('quote        revision 1, USD 2257.00 a month');
    expect(stdout).toContain('Azure USD 1390.00 a month (alerts at 110 % = 1529.00, 120 % = 1668.00)');
    expect(stdout).toContain('Salesforce Adatum - Microsoft 365 and Azure → Adatum Corporation');
    expect(stdout).toContain('baseline     40 seats of CFQ7TTC0LCHC:0002; Azure USD 2300.00 a month (alerts at 110 % = 2530.00, 120 % = 2760.00)');
    expect(stdout.match(/rate card    version 1, pending/g)).toHaveLength(2);

    // It ends with one deliberate drift: a price changed in HubSpot, valued, with how to resolve it.
    expect(stdout).toContain('Drift queue   1 open finding (someone changed a price in HubSpot)');
    expect(stdout).toContain('rate_card.markup_percent category:compute: hub (owner) says 15, hubspot says 20; 50.00 USD a month at stake');
    const resolveUrl = /(http:\/\/\S+\/v1\/drift-findings\/[0-9a-f-]{36}\/resolve)/.exec(stdout)?.[1];
    expect(resolveUrl).toBeDefined();

    // Last month's invoices and its revenue journal went to the sandbox Xero, each with the ERP's id.
    expect(stdout).toContain(`ERP: ${period} posted to Xero (sandbox) through xero-node\n  invoices     12 posted, 0 blocked`);
    expect(stdout.match(/INV-\S+ +USD +[0-9.]+ +Xero invoice [0-9a-f-]{36}/g)).toHaveLength(12);
    expect(stdout).toMatch(/revenue journals \(Dr deferred revenue \/ Cr revenue; GET \/v1\/revenue-journals\)\n {4}(RJ-\d{4}-\d{2}-USD-1 +USD +[0-9.]+ +Xero manual journal [0-9a-f-]{36}|none: nothing billed upfront)/);

    // The documents carry the seller the demo set and the subscriptions' names, ids in small print.
    const out = join(dataDir, 'out', period!);
    const pages = (await readdir(out)).filter((f) => f.endsWith('-detailed.html'));
    expect(pages).toHaveLength(12);
    const combinedPages: string[] = [];
    for (const page of pages) {
      const html = await readFile(join(out, page), 'utf8');
      expect(html).toContain('Contoso Cloud Services');
      expect(html).not.toContain('CSP Billing Hub');
      // A combined invoice ends with its engagements (cost node groups): subscriptions come before.
      const [microsoft, engagementsPart] = html.split('By engagement');
      if (engagementsPart !== undefined) combinedPages.push(page);
      const groups = [...microsoft!.matchAll(/<tr class="group group-1"><th[^>]*>(.*?)<\/th>/g)].map((m) => m[1]!);
      expect(groups.length).toBeGreaterThan(0);
      for (const g of groups) expect(g, page).toMatch(/^Subscription [^<]+ <span class="detail">[0-9a-f-]{36}<\/span>$/);
    }
    expect(combinedPages.sort()).toEqual(combined.map((m) => `invoice-${m[1]}-detailed.html`).sort());

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
  }, 300_000);
});
