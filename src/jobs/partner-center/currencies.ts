import { sql } from 'kysely';
import type { PartnerCenterInvoice } from '../../connectors/partner-center/index.ts';
import type { Db } from '../../db/database.ts';
import { PARTNER_CENTER } from '../../db/ingest/customers.ts';

/**
 * Which currencies a sync asks Microsoft for unbilled data in. The unbilled usage export
 * (`currencyCode`) and the unbilled billinglineitems (`currencycode`) answer one billing
 * currency at a time: a customer's lines come only in its own billing currency, so a
 * partner whose customers are billed in USD, EUR and GBP must ask three times.
 */

/** An ISO 4217 alphabetic code, as Microsoft's `currencyCode` takes it. */
export const CURRENCY_CODE = /^[A-Z]{3}$/;

/** What a connection asks for when the hub knows nothing else (the old `settings.currency` default). */
export const DEFAULT_UNBILLED_CURRENCY = 'USD';

/** Invoices count as recent when their billing month is within this many months of the newest invoice's. */
export const RECENT_INVOICE_MONTHS = 3;

/** The code in upper case, or undefined for anything that is not a three-letter code. */
export function currencyCode(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const code = value.trim().toUpperCase();
  return CURRENCY_CODE.test(code) ? code : undefined;
}

/** The connection's explicit `settings.currencies`, plus the older single `settings.currency` (a one-element list). */
export function configuredCurrencies(settings: unknown): string[] {
  const s = settings !== null && typeof settings === 'object' ? (settings as Record<string, unknown>) : {};
  const listed = Array.isArray(s.currencies) ? s.currencies : [s.currencies];
  return [...listed, s.currency].flatMap((v) => currencyCode(v) ?? []);
}

/**
 * The currencies of the partner's recent invoices (Microsoft issues one invoice per
 * billing currency and month): those whose billing month is within RECENT_INVOICE_MONTHS
 * of the newest invoice in the list, so a currency the partner stopped being billed in
 * years ago is not asked for on every run.
 */
export function recentInvoiceCurrencies(invoices: readonly PartnerCenterInvoice[], months = RECENT_INVOICE_MONTHS): string[] {
  const dated = invoices.flatMap((invoice) => {
    const month = monthNumber(invoice.billingPeriodStartDate ?? invoice.invoiceDate);
    const code = currencyCode(invoice.currencyCode);
    return month !== undefined && code ? [{ month, code }] : [];
  });
  if (dated.length === 0) return [];
  const newest = Math.max(...dated.map((d) => d.month));
  return dated.filter((d) => d.month > newest - months).map((d) => d.code);
}

function monthNumber(date: unknown): number | undefined {
  const match = typeof date === 'string' ? /^(\d{4})-(\d{2})/.exec(date) : null;
  return match ? Number(match[1]) * 12 + Number(match[2]) - 1 : undefined;
}

export interface KnownCurrencies {
  /** `customers.billing_currency` of the connection's customers. */
  customers: string[];
  /** The billing currency of each of those customers' latest usage and licence lines (what Microsoft bills them in). */
  lines: string[];
}

/**
 * What the hub knows about the connection's customers: each customer's billing currency,
 * and the currency Microsoft last billed it in (BillingCurrency of its newest usage line,
 * Currency of its newest licence line, billed or unbilled, synced or imported). The
 * connection's customers are those it has synced subscriptions for; while it is the only
 * Partner Center connection, every customer linked to a Partner Center tenant (e.g. first
 * met in an imported file) counts too. One index probe per customer and table
 * (usage_lines_customer_idx, license_lines_customer_idx), never a scan of the lines.
 */
export async function knownCurrencies(db: Db, connectionId: string): Promise<KnownCurrencies> {
  const { rows } = await sql<{ billing_currency: string; usage_currency: string | null; license_currency: string | null }>`
    select c.billing_currency,
      (select u.billing_currency from usage_lines u
        where u.customer_id = c.id and u.billing_currency is not null
        order by u.usage_date desc limit 1) as usage_currency,
      (select l.currency from license_lines l
        where l.customer_id = c.id and l.currency is not null
        order by l.charge_period desc limit 1) as license_currency
    from customers c
    where exists (select 1 from subscriptions s where s.customer_id = c.id and s.connection_id = ${connectionId})
       or (exists (select 1 from external_links x where x.entity = 'customer' and x.entity_id = c.id and x.system = ${PARTNER_CENTER})
           and not exists (select 1 from connections o where o.provider = ${PARTNER_CENTER} and o.id <> ${connectionId}))`.execute(db);
  return {
    customers: rows.flatMap((r) => currencyCode(r.billing_currency) ?? []),
    lines: rows.flatMap((r) => [r.usage_currency, r.license_currency].flatMap((c) => currencyCode(c) ?? [])),
  };
}

export interface UnbilledCurrencies {
  /** Sorted, distinct: one unbilled usage export and one unbilled licence source per currency and period. */
  currencies: string[];
  /** Where they came from, for the log. */
  from: { settings: string[]; customers: string[]; lines: string[]; invoices: string[] };
}

/** Sorted and de-duplicated; the default when nothing at all is known. */
export function chooseCurrencies(from: UnbilledCurrencies['from']): string[] {
  const all = new Set([...from.settings, ...from.customers, ...from.lines, ...from.invoices].flatMap((c) => currencyCode(c) ?? []));
  return all.size > 0 ? [...all].sort() : [DEFAULT_UNBILLED_CURRENCY];
}

/**
 * The currencies to request unbilled data in for one sync of a connection: its explicit
 * settings, its customers' billing currencies, the currencies Microsoft billed them in,
 * and the currencies of the partner's recent invoices (pass the invoice list when the
 * run has it, and `known` when the run saved what the hub knew as it started). Asking for
 * a currency no customer is billed in costs a request that comes back empty; not asking
 * for one loses that currency's lines, so this errs wide.
 */
export async function unbilledCurrencies(
  db: Db,
  connectionId: string,
  input: { settings: unknown; invoices?: readonly PartnerCenterInvoice[]; known?: KnownCurrencies },
): Promise<UnbilledCurrencies> {
  const known = input.known ?? (await knownCurrencies(db, connectionId));
  const distinct = (codes: string[]) => [...new Set(codes)].sort();
  const from = {
    settings: distinct(configuredCurrencies(input.settings)),
    customers: distinct(known.customers),
    lines: distinct(known.lines),
    invoices: distinct(recentInvoiceCurrencies(input.invoices ?? [])),
  };
  return { currencies: chooseCurrencies(from), from };
}
