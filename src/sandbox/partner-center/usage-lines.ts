/**
 * Daily rated usage lines for one billing scope (billing month × billing currency,
 * as visible at an instant), generated lazily from the portfolio.
 *
 * Lines come in a fixed order: customer → Azure resource → usage day, latent
 * lines of the previous month first. `counts()` makes one cheap pass (hashes, no
 * amounts) so a page or a blob can start at any position without building the
 * lines before it.
 *
 * @example
 *   const source = new UsageLineSource(portfolio, { billingMonth, currency: 'USD', asOfMs, invoiceNumber: '' });
 *   for (const line of source.records(0, 10)) console.log(line.BillingPreTaxTotal.toString());
 */
import type { Decimal } from 'decimal.js';
import { hash3 } from '../prng.ts';
import { daysInMonth, firstDayOfMonth, isoDay, lastDayOfMonth, weekday } from './calendar.ts';
import { Exact, usageBillingPreTaxTotal, usagePricingPreTaxTotal } from './formulas.ts';
import { decimalToken } from './json.ts';
import { isLatent, publishAtMs } from './publishing.ts';
import type { LineTemplate, LineWriter } from './line-writer.ts';
import type { AzureResource, Customer, LineRecord } from './interfaces.ts';
import type { Portfolio } from './portfolio.ts';

export interface UsageScope {
  billingMonth: number;
  /**
   * The billing currency asked for: only customers billed in it have lines here. Any ISO
   * 4217 code may be asked for; one no customer is billed in yields no lines (an empty
   * page, or an export that ends "No data available"), as Microsoft answers, not an error.
   */
  currency: string;
  /** Only lines published at or before this instant; Infinity for a closed invoice. */
  asOfMs: number;
  /** '' while unbilled, the invoice id once billed. */
  invoiceNumber: string;
}

/** The columns that change from one day to the next for the same resource. */
export const USAGE_DYNAMIC_COLUMNS = ['UsageDate', 'Quantity', 'BillingPreTaxTotal', 'PricingPreTaxTotal'] as const;

const SALT_QUANTITY = 0x9a27;
const SALT_FRACTION = 0xf2ac;
const MONTHLY_QUANTITY_DP = 10;

interface MonthContext {
  month: number;
  firstDay: number;
  lastDay: number;
  /** The previous month contributes only its latent lines, this month only the rest. */
  latentOnly: boolean;
}

interface DailyValues extends Record<string, Decimal | string> {
  UsageDate: string;
  Quantity: Decimal;
  BillingPreTaxTotal: Decimal;
  PricingPreTaxTotal: Decimal;
}

export class UsageLineSource {
  readonly scope: UsageScope;
  readonly #portfolio: Portfolio;
  readonly #months: MonthContext[];
  readonly #fx: Decimal;
  #counts: number[] | undefined;

  constructor(portfolio: Portfolio, scope: UsageScope) {
    this.#portfolio = portfolio;
    this.scope = scope;
    this.#fx = portfolio.fxRate(scope.currency, scope.billingMonth);
    this.#months = [scope.billingMonth - 1, scope.billingMonth]
      .map((month, i) => ({
        month,
        firstDay: Math.max(firstDayOfMonth(month), portfolio.usageStartDay),
        lastDay: Math.min(lastDayOfMonth(month), portfolio.usageEndDay),
        latentOnly: i === 0,
      }))
      .filter((m) => m.firstDay <= m.lastDay);
  }

  /** Visible lines per customer index (0 for customers outside the scope). */
  counts(): readonly number[] {
    if (!this.#counts) {
      this.#counts = this.#portfolio.customers.map((c) => {
        if (!this.#inScope(c)) return 0;
        let n = 0;
        for (const r of this.#portfolio.resources(c)) {
          for (const m of this.#months) for (let d = m.firstDay; d <= m.lastDay; d++) if (this.#visible(r, d, m)) n++;
        }
        return n;
      });
    }
    return this.#counts;
  }

  total(): number {
    return this.counts().reduce((a, b) => a + b, 0);
  }

  /** Full records, keyed by reconciliation-file column, for positions [start, end). */
  *records(start = 0, end = Number.POSITIVE_INFINITY): Generator<LineRecord> {
    for (const { resource, month, days } of this.#walk(start, end)) {
      const base = this.#staticRecord(resource, month);
      for (const day of days) yield { ...base, ...this.#daily(resource, day, month) };
    }
  }

  /**
   * The same lines as JSON text in `writer`'s format, one string per line.
   * Formats the changing values straight to JSON tokens: this is the path the
   * benchmark streams millions of lines through. A unit test holds it equal to
   * `records()` written line by line.
   */
  *rendered(writer: LineWriter, start = 0, end = Number.POSITIVE_INFINITY): Generator<string> {
    const fxIsOne = this.#fx.eq(1);
    const tokens: Record<string, string> = {};
    for (const { resource, month, days } of this.#walk(start, end)) {
      const template: LineTemplate = writer.template(this.#staticRecord(resource, month), USAGE_DYNAMIC_COLUMNS);
      const constant = constantQuantity(resource, month.month);
      const constantToken = constant ? decimalToken(constant) : '';
      for (const day of days) {
        const quantity = constant ?? dailyQuantity(resource, day, month.month);
        // One product serves both totals: FLOOR(EUP × Q, 2) and FLOOR(EUP × Q × FX, 2).
        const charge = resource.effectiveUnitPrice.times(quantity);
        const pricing = charge.toDecimalPlaces(2, Exact.ROUND_DOWN);
        const billing = fxIsOne ? pricing : charge.times(this.#fx).toDecimalPlaces(2, Exact.ROUND_DOWN);
        tokens.UsageDate = isoDayToken(day);
        tokens.Quantity = constant ? constantToken : decimalToken(quantity);
        tokens.BillingPreTaxTotal = decimalToken(billing);
        tokens.PricingPreTaxTotal = decimalToken(pricing);
        yield template.renderTokens(tokens);
      }
    }
  }

  /**
   * Groups the visible (resource, month, day) positions in [start, end) by
   * resource and month, so per-resource work is done once per group.
   */
  *#walk(start: number, end: number): Generator<{ resource: AzureResource; month: MonthContext; days: number[] }> {
    const counts = this.counts();
    let position = 0;
    for (const customer of this.#portfolio.customers) {
      const count = counts[customer.index] ?? 0;
      if (count === 0) continue;
      if (position + count <= start) {
        position += count;
        continue;
      }
      if (position >= end) return;
      for (const resource of this.#portfolio.resources(customer)) {
        for (const month of this.#months) {
          const days: number[] = [];
          for (let d = month.firstDay; d <= month.lastDay; d++) {
            if (!this.#visible(resource, d, month)) continue;
            if (position >= start && position < end) days.push(d);
            position++;
          }
          if (days.length > 0) yield { resource, month, days };
          if (position >= end) return;
        }
      }
    }
  }

  #inScope(customer: Customer): boolean {
    return customer.azurePlan !== null && customer.geography.currency === this.scope.currency;
  }

  #visible(r: AzureResource, day: number, m: MonthContext): boolean {
    if (r.officeHours && isWeekend(day)) return false;
    const options = this.#portfolio.options;
    const latent = isLatent(r.seed, day, options.latentShare);
    if (latent !== m.latentOnly) return false;
    return publishAtMs(r.seed, day, latent, options.latencyHours) <= this.scope.asOfMs;
  }

  #staticRecord(r: AzureResource, m: MonthContext): LineRecord {
    const p = this.#portfolio;
    const customer = p.customers[r.customerIndex] as Customer;
    const plan = customer.azurePlan;
    const meter = r.meter;
    return {
      PartnerId: p.partner.tenantId,
      PartnerName: p.partner.name,
      CustomerId: customer.id,
      CustomerName: customer.companyName,
      CustomerDomainName: customer.domain,
      CustomerCountry: customer.geography.country,
      MpnId: p.partner.mpnId,
      Tier2MpnId: '',
      InvoiceNumber: this.scope.invoiceNumber,
      ProductId: meter.productId,
      SkuId: meter.skuId,
      AvailabilityId: meter.availabilityId,
      SkuName: meter.skuName,
      ProductName: meter.productName,
      PublisherName: 'Microsoft',
      PublisherId: '',
      SubscriptionDescription: 'Azure plan',
      SubscriptionId: plan?.id ?? '',
      ChargeStartDate: isoDay(firstDayOfMonth(m.month)),
      ChargeEndDate: isoDay(lastDayOfMonth(m.month)),
      MeterType: meter.meterType,
      MeterCategory: meter.meterCategory,
      MeterId: r.meterId,
      MeterSubCategory: meter.meterSubCategory,
      MeterName: meter.meterName,
      MeterRegion: r.region.meterRegion,
      Unit: meter.unit,
      ResourceLocation: r.region.location,
      ConsumedService: meter.consumedService,
      ResourceGroup: r.resourceGroup,
      ResourceURI: r.resourceUri,
      ChargeType: 'new',
      UnitPrice: r.unitPrice,
      UnitType: meter.unit,
      BillingCurrency: this.scope.currency,
      PricingCurrency: 'USD',
      ServiceInfo1: '',
      ServiceInfo2: '',
      Tags: r.tags ? JSON.stringify(r.tags) : '',
      AdditionalInfo: meter.additionalInfo,
      EffectiveUnitPrice: r.effectiveUnitPrice,
      PCToBCExchangeRate: this.#fx,
      PCToBCExchangeRateDate: isoDay(firstDayOfMonth(this.scope.billingMonth)),
      EntitlementId: r.entitlement.id,
      EntitlementDescription: r.entitlement.friendlyName,
      PartnerEarnedCreditPercentage: new Exact(r.pecPercentage),
      CreditPercentage: new Exact(0),
      CreditType: 'Credit Not Applied',
      BenefitOrderId: '',
      BenefitId: '',
      BenefitType: '',
    };
  }

  #daily(r: AzureResource, day: number, m: MonthContext): DailyValues {
    const quantity = dailyQuantity(r, day, m.month);
    return {
      UsageDate: isoDay(day),
      Quantity: quantity,
      BillingPreTaxTotal: usageBillingPreTaxTotal(r.effectiveUnitPrice, quantity, this.#fx),
      PricingPreTaxTotal: usagePricingPreTaxTotal(r.effectiveUnitPrice, quantity),
    };
  }
}

const dayTokens = new Map<number, string>();

function isoDayToken(day: number): string {
  let token = dayTokens.get(day);
  if (token === undefined) {
    token = JSON.stringify(isoDay(day));
    if (dayTokens.size < 100_000) dayTokens.set(day, token);
  }
  return token;
}

const ONE = new Exact(1);
const TWENTY_FOUR = new Exact(24);

/** The quantity when it is the same every day of the month, else undefined. */
function constantQuantity(r: AzureResource, month: number): Decimal | undefined {
  switch (r.meter.shape) {
    case 'daily':
      return ONE;
    case 'hours':
      return r.officeHours ? undefined : TWENTY_FOUR;
    case 'monthly':
      return dailyQuantity(r, 0, month);
    case 'volume':
      return undefined;
  }
}

function isWeekend(day: number): boolean {
  const w = weekday(day);
  return w === 0 || w === 6;
}

/** The resource's consumption on `day`, shaped by its meter. */
export function dailyQuantity(r: AzureResource, day: number, month: number): Decimal {
  const meter = r.meter;
  switch (meter.shape) {
    case 'hours':
      return new Exact(r.officeHours ? 8 + (hash3(r.seed, day, SALT_QUANTITY) % 5) : 24);
    case 'daily':
      return new Exact(1);
    case 'monthly':
      return new Exact(r.size).div(daysInMonth(month)).toDecimalPlaces(MONTHLY_QUANTITY_DP, Exact.ROUND_HALF_UP);
    case 'volume': {
      const [lo, hi] = meter.range;
      const whole = lo + (hash3(r.seed, day, SALT_QUANTITY) % (hi - lo + 1));
      const fraction = String(hash3(r.seed, day, SALT_FRACTION) % 1_000_000).padStart(6, '0');
      return new Exact(`${whole}.${fraction}`);
    }
  }
}
