/**
 * `npm run bench -- erp-post [--invoices 2000] [--time-scale 0.2]`: posts invoices to
 * the QuickBooks sandbox through the posting job's QuickBooks poster (node-quickbooks,
 * the realm's limiter, read back by DocNumber, then create with a requestid), all queued
 * at once, with the sandbox enforcing QuickBooks' per-realm limits: 500 requests a
 * minute and 10 at a time.
 *
 * The sandbox's minute lasts `time-scale` of a real one (0.2: 12 s) so the run stays
 * short, and the hub's limiter is given the same scaled budget (500 per 12 s). The
 * fixed cost of each start (a timer firing late on a busy machine) weighs more against
 * a shorter spacing, so the ratio at the real scale (1, a 16-minute run) is no worse
 * than at 0.2. Each invoice costs one query and one create, plus the first item look-ups.
 *
 * Ends with `erp-post: ratio=<elapsed ÷ (requests ÷ allowed rate)> target=1.15
 * throttled=<429s> peak_rss_mb=<n>` and exits 1 when the ratio is over 1.15, a document
 * is missing or doubled, or a total differs.
 */
import { createLimiter } from '../src/connectors/http/limits.ts';
import { QuickBooksPostingClient } from '../src/connectors/quickbooks/client.ts';
import { quickbooksDeclaration } from '../src/connectors/quickbooks/declaration.ts';
import { Decimal } from '../src/engine/decimal.ts';
import { quickbooksPoster } from '../src/jobs/erp/quickbooks-poster.ts';
import type { PostingLine } from '../src/mappings/accounting/posting-lines.ts';
import { startQuickBooksSandbox } from '../src/sandbox/quickbooks/server.ts';
import { intFlag, parseFlags, peakRssMb } from './support.ts';

const NAME = 'erp-post';
const TARGET_RATIO = 1.15;

const flags = parseFlags(process.argv.slice(2), ['invoices', 'time-scale']);
const INVOICES = intFlag(flags, 'invoices', 2000);
const TIME_SCALE = Number(flags.get('time-scale') ?? 0.2);
if (!(TIME_SCALE > 0 && TIME_SCALE <= 1)) throw new Error('--time-scale must be in (0, 1]');

/** Invoice i: three lines on two accounts, its total known by construction. */
function linesOf(i: number): { lines: PostingLine[]; total: Decimal } {
  const amounts = [new Decimal(100 + (i % 97)).div(7).toDecimalPlaces(2), new Decimal('1.10'), new Decimal(14).times(1 + (i % 15))];
  const lines = amounts.map((amount, n) => ({ lineId: `${i}-${n}`, description: `Line ${n + 1}`, amount, account: n === 2 ? '80' : '79', taxCode: 'NON', dimensions: { class: '5000000000000012345', department: '1' } }));
  return { lines, total: amounts.reduce((a, b) => a.plus(b), new Decimal(0)) };
}

async function main(): Promise<number> {
  const sandbox = await startQuickBooksSandbox({ timeScale: TIME_SCALE });
  try {
    const { requestsPerMinute, maxConcurrent } = quickbooksDeclaration.limits;
    const scaledPerMinute = requestsPerMinute / TIME_SCALE;
    const client = new QuickBooksPostingClient({
      credentials: sandbox.credentials,
      realmId: sandbox.credentials.realmId,
      endpoint: sandbox.endpoint,
      tokenUrl: sandbox.tokenUrl,
      limiter: createLimiter({ requestsPerMinute: scaledPerMinute, maxConcurrent }),
      onRefreshToken: async () => undefined,
    });
    const poster = quickbooksPoster(client);
    const customer = sandbox.company.createCustomer({ DisplayName: 'Bench Customer Ltd' }).Id as string;

    const start = performance.now();
    const posted = await Promise.all(
      Array.from({ length: INVOICES }, async (_, i) => {
        const number = `INV-2026-10-${String(i).padStart(8, '0')}-r1`;
        const { lines, total } = linesOf(i);
        const header = { invoiceId: `bench-${i}`, revision: 1, customerRef: customer, number, date: '2026-10-31', dueDate: null, currency: 'USD', reference: '2026-10 r1', period: '2026-10', customerName: 'Bench customer' };
        const document = (await poster.findInvoice(number, { id: header.invoiceId, revision: 1 })) ?? (await poster.createInvoice(header, lines, `hub-invoice-bench-${i}`));
        return document.subTotal.equals(total);
      }),
    );
    const elapsedMs = performance.now() - start;
    const stats = sandbox.stats();
    const idealMs = (stats.calls / scaledPerMinute) * 60_000;
    const ratio = elapsedMs / idealMs;
    const documents = sandbox.company.invoices.size;
    const totalsOk = posted.every(Boolean);
    console.log(`${INVOICES} invoices, ${stats.calls} requests (${stats.throttled} answered 429) in ${(elapsedMs / 1000).toFixed(1)} s; allowed ${requestsPerMinute}/min per realm at time scale ${TIME_SCALE} = ${scaledPerMinute.toFixed(0)}/min, ${maxConcurrent} concurrent (peak in flight ${stats.maxInFlight}); ideal ${(idealMs / 1000).toFixed(1)} s`);
    console.log(`documents ${documents} (expected ${INVOICES}), totals equal: ${totalsOk}`);
    console.log(`${NAME}: ratio=${ratio.toFixed(3)} target=${TARGET_RATIO} throttled=${stats.throttled} peak_rss_mb=${peakRssMb().toFixed(0)}`);
    return ratio <= TARGET_RATIO && documents === INVOICES && totalsOk ? 0 : 1;
  } finally {
    await sandbox.close();
  }
}

process.exitCode = await main();
