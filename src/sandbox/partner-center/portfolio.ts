/**
 * The deterministic portfolio: one partner, its customers, their licence
 * subscriptions and Azure plans. Customers and subscriptions are small and built
 * up front; Azure resources (up to hundreds of thousands) are rebuilt on demand
 * from the seed so nothing large is held in memory.
 *
 * @example
 *   const p = createPortfolio({ seed: 7, customers: 3 }, new Date('2026-09-20T00:00:00Z'));
 *   p.customers[0]?.companyName; // identical on every run with seed 7
 */
import type { Decimal } from 'decimal.js';
import { hash2, Rng, seedFrom } from '../prng.ts';
import {
  COMPANY_KINDS,
  COMPANY_STEMS,
  COMPANY_SUFFIXES,
  ENVIRONMENTS,
  GEOGRAPHIES,
  LICENSE_SKUS,
  METERS,
  PROJECTS,
  REGIONS,
  type Geography,
  type MeterDef,
  type Region,
} from './catalog.ts';
import { addMonths, DAY_MS, firstDayOfMonth, monthIndexOfDay, parsePeriod, daysInMonth } from './calendar.ts';
import { effectiveUnitPriceAfterPec, Exact } from './formulas.ts';
import type {
  AzureEntitlement,
  AzurePlan,
  AzureResource,
  BillingCurrency,
  Customer,
  Invoice,
  LicenseSubscription,
  PartnerProfile,
  PortfolioOptions,
  ResolvedPortfolioOptions,
  SeatChange,
} from './interfaces.ts';

const PEC_PERCENTAGE = 15;

/**
 * Meter mix of a typical SMB Azure estate: compute and storage dominate. Every meter's
 * category is one the hub's default charge-category mapping covers, so a demo close
 * shows no unmapped lines (a unit test holds the two together).
 */
const METER_WEIGHTS: Readonly<Record<string, number>> = {
  'vm-d2sv3': 16,
  'vm-b2ms': 10,
  'vm-spot': 3,
  'disk-p10': 14,
  'blob-hot': 14,
  'bandwidth-out': 10,
  'sql-s1': 9,
  'app-b1': 9,
  'cosmos-ru': 8,
  'dns-queries': 7,
};

export function resolvePortfolioOptions(options: PortfolioOptions, now: Date): ResolvedPortfolioOptions {
  const period = options.period ?? `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
  const resolved: ResolvedPortfolioOptions = {
    seed: options.seed ?? 1,
    customers: options.customers ?? 5,
    subscriptionsPerCustomer: options.subscriptionsPerCustomer ?? 5,
    resourcesPerSubscription: options.resourcesPerSubscription ?? 20,
    period,
    days: options.days ?? daysInMonth(parsePeriod(period)),
    tagCoverage: options.tagCoverage ?? 0.6,
    licenseShare: options.licenseShare ?? 0.8,
    latencyHours: options.latencyHours ?? [24, 48],
    latentShare: options.latentShare ?? 0.002,
    seatChangeShare: options.seatChangeShare ?? 0.3,
    pecShare: options.pecShare ?? 0.7,
    foreignCurrencyShare: options.foreignCurrencyShare ?? 0.3,
    invoiceReadyDay: options.invoiceReadyDay ?? 8,
    lifecycleShare: options.lifecycleShare ?? 0.2,
  };
  for (const key of ['tagCoverage', 'licenseShare', 'latentShare', 'seatChangeShare', 'pecShare', 'foreignCurrencyShare', 'lifecycleShare'] as const) {
    const v = resolved[key];
    if (!(v >= 0 && v <= 1)) throw new Error(`${key} must be within 0..1, got ${v}`);
  }
  const [minH, maxH] = resolved.latencyHours;
  if (!(minH >= 0 && maxH >= minH)) throw new Error(`latencyHours must be [min, max] with 0 <= min <= max`);
  if (!(resolved.days >= 1)) throw new Error('days must be at least 1');
  return resolved;
}

export class Portfolio {
  readonly options: ResolvedPortfolioOptions;
  readonly partner: PartnerProfile;
  readonly customers: readonly Customer[];
  /** First and last usage day (day numbers, inclusive). */
  readonly usageStartDay: number;
  readonly usageEndDay: number;
  readonly #byId: Map<string, Customer>;
  readonly #invoiceIds = new Map<string, string>();

  constructor(options: ResolvedPortfolioOptions) {
    this.options = options;
    this.usageStartDay = firstDayOfMonth(parsePeriod(options.period));
    this.usageEndDay = this.usageStartDay + options.days - 1;
    this.partner = buildPartner(options.seed);
    this.customers = Array.from({ length: options.customers }, (_, i) => this.#buildCustomer(i));
    this.#byId = new Map(this.customers.map((c) => [c.id, c]));
  }

  customer(id: string): Customer | undefined {
    return this.#byId.get(id.toLowerCase());
  }

  /** Billing currencies in use, in a stable order. */
  currencies(): BillingCurrency[] {
    const present = new Set(this.customers.map((c) => c.geography.currency));
    return (['USD', 'EUR', 'GBP'] as const).filter((c) => present.has(c));
  }

  /**
   * Pricing (USD) → billing currency rate for a month: USD is 1, other currencies
   * wobble around a central rate with four decimals, fixed for the whole month.
   */
  fxRate(currency: string, monthIndex: number): Decimal {
    const geo = GEOGRAPHIES.find((g) => g.currency === currency);
    if (!geo || currency === 'USD') return new Exact(1);
    const wobble = (hash2(seedFrom(this.options.seed, 'fx', currency), monthIndex) % 601) - 300;
    return new Exact(geo.usdRate).plus(new Exact(wobble).div(10_000));
  }

  /** Months that carry billing lines: the usage window plus the month latent usage lands in. */
  billingMonths(): number[] {
    const first = monthIndexOfDay(this.usageStartDay);
    const last = monthIndexOfDay(this.usageEndDay) + 1;
    return Array.from({ length: last - first + 1 }, (_, i) => first + i);
  }

  /** Invoices that exist at `asOfMs`: one per billing month and currency, from the ready day on. */
  invoices(asOfMs: number): Invoice[] {
    const out: Invoice[] = [];
    for (const month of this.billingMonths()) {
      const readyAtMs = (firstDayOfMonth(month + 1) + this.options.invoiceReadyDay - 1) * DAY_MS;
      if (readyAtMs > asOfMs) continue;
      for (const currency of this.currencies()) out.push({ id: this.invoiceId(month, currency), monthIndex: month, currency, readyAtMs });
    }
    return out;
  }

  /** Microsoft's new-commerce invoice numbers: 'G' and nine digits. */
  invoiceId(monthIndex: number, currency: BillingCurrency): string {
    const key = `${monthIndex}|${currency}`;
    const known = this.#invoiceIds.get(key);
    if (known) return known;
    const taken = new Set(this.#invoiceIds.values());
    let h = hash2(seedFrom(this.options.seed, 'invoice', currency), monthIndex);
    let id = '';
    do {
      id = `G${String(10_000_000 + (h % 890_000_000)).padStart(9, '0')}`;
      h = hash2(h, 1);
    } while (taken.has(id));
    this.#invoiceIds.set(key, id);
    return id;
  }

  findInvoice(id: string, asOfMs: number): Invoice | undefined {
    return this.invoices(asOfMs).find((inv) => inv.id.toLowerCase() === id.toLowerCase());
  }

  /** The customer's Azure resources, rebuilt from the seed on every call. */
  resources(customer: Customer): AzureResource[] {
    const plan = customer.azurePlan;
    if (!plan) return [];
    const out: AzureResource[] = [];
    for (const entitlement of plan.entitlements) out.push(...this.#entitlementResources(customer, entitlement));
    return out;
  }

  #entitlementResources(customer: Customer, entitlement: AzureEntitlement): AzureResource[] {
    const count = this.options.resourcesPerSubscription;
    const base = seedFrom(this.options.seed, 'resources', customer.index, entitlement.index);
    const rng = new Rng(base);
    const groups = Array.from({ length: rng.int(2, 5) }, () => ({ project: rng.pick(PROJECTS), env: rng.pick(ENVIRONMENTS) }));
    const costCenter = `CC-${rng.int(1000, 9999)}`;
    // Exactly round(count × coverage) resources get tags, chosen by a seeded shuffle.
    const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => hash2(base, a) - hash2(base, b) || a - b);
    const tagged = new Set(order.slice(0, Math.round(count * this.options.tagCoverage)));
    const out: AzureResource[] = [];
    for (let r = 0; r < count; r++) {
      const rr = new Rng(hash2(base, r + 1));
      const meter = pickMeter(rr);
      const group = rr.pick(groups);
      const resourceGroup = `rg-${group.project}-${group.env}`;
      const region = rr.chance(0.85) ? rr.pick(customer.primaryRegions) : rr.pick(REGIONS);
      const name = `${meter.namePrefix}-${group.project}-${String(r + 1).padStart(3, '0')}`;
      const unitPrice = new Exact(meter.unitPrice);
      const pecPercentage = customer.pec && meter.pecEligible ? PEC_PERCENTAGE : 0;
      out.push({
        customerIndex: customer.index,
        entitlement,
        index: r,
        name,
        resourceGroup,
        resourceUri: resourceUri(entitlement.id, resourceGroup, meter, name),
        meter,
        meterId: new Rng(seedFrom('partner-center-meters', meter.key, region.location)).uuid(),
        region,
        tags: tagged.has(r) ? { costCenter, project: group.project } : null,
        officeHours: meter.shape === 'hours' && group.env === 'dev' && rr.chance(0.6),
        size: meter.shape === 'monthly' ? rr.int(meter.range[0], meter.range[1]) : 0,
        pecPercentage,
        unitPrice,
        effectiveUnitPrice: effectiveUnitPriceAfterPec(unitPrice, pecPercentage),
        seed: hash2(base, 0x5eed + r),
      });
    }
    return out;
  }

  #buildCustomer(index: number): Customer {
    const o = this.options;
    const rng = new Rng(seedFrom(o.seed, 'customer', index));
    const id = rng.uuid();
    const commerceId = rng.uuid();
    const geography = rng.chance(o.foreignCurrencyShare)
      ? rng.pick(GEOGRAPHIES.filter((g) => g.currency !== 'USD'))
      : (GEOGRAPHIES[0] as Geography);
    const stem = rng.pick(COMPANY_STEMS);
    const kind = rng.pick(COMPANY_KINDS);
    const suffix = rng.pick(COMPANY_SUFFIXES[geography.country] ?? ['Ltd']);
    const slug = `${stem}${kind}`.toLowerCase().replace(/[^a-z0-9]/g, '');
    const customer: Customer = {
      index,
      id,
      commerceId,
      companyName: `${stem} ${kind} ${suffix}`,
      domain: `${slug}${index + 1}.onmicrosoft.com`,
      geography,
      city: rng.pick(geography.cities),
      pec: rng.chance(o.pecShare),
      primaryRegions: primaryRegions(geography),
      licenseSubscriptions: [],
      azurePlan: null,
    };
    const licenseCount = Math.round(o.subscriptionsPerCustomer * o.licenseShare);
    const azureCount = o.subscriptionsPerCustomer - licenseCount;
    return {
      ...customer,
      licenseSubscriptions: Array.from({ length: licenseCount }, (_, j) => this.#buildLicense(customer, j)),
      azurePlan: azureCount > 0 ? this.#buildAzurePlan(customer, azureCount) : null,
    };
  }

  #buildLicense(customer: Customer, j: number): LicenseSubscription {
    const o = this.options;
    const rng = new Rng(seedFrom(o.seed, 'license', customer.index, j));
    const sku = rng.pick(LICENSE_SKUS);
    const termDuration = rng.chance(0.7) ? 'P1Y' : 'P1M';
    const billingCycle = termDuration === 'P1Y' && rng.chance(0.2) ? 'annual' : 'monthly';
    const initialQuantity = rng.chance(0.2) ? rng.int(20, 300) : rng.int(1, 25);
    const boughtInWindow = rng.chance(0.1);
    const startDay = boughtInWindow ? this.usageStartDay + rng.int(0, o.days - 1) : this.usageStartDay - rng.int(1, 700);
    const seatChanges: SeatChange[] = [];
    if (rng.chance(o.seatChangeShare)) {
      const addDay = Math.max(startDay + 1, this.usageStartDay + rng.int(0, o.days - 1));
      if (addDay <= this.usageEndDay) {
        const added = initialQuantity + rng.int(1, 5);
        seatChanges.push({ day: addDay, quantity: added, chargeType: 'addQuantity', orderId: rng.hex(12), referenceId: rng.uuid() });
        // Seats can only be reduced within 7 days of being added, and only those seats.
        const removeDay = addDay + rng.int(1, 6);
        if (rng.chance(0.4) && removeDay <= this.usageEndDay) {
          const kept = added - rng.int(1, added - initialQuantity);
          seatChanges.push({ day: removeDay, quantity: kept, chargeType: 'removeQuantity', orderId: rng.hex(12), referenceId: rng.uuid() });
        }
      }
    }
    const monthly = new Exact(termDuration === 'P1M' ? sku.monthlyTermPrice : sku.annualTermMonthlyPrice);
    const plain: LicenseSubscription = {
      id: rng.uuid(),
      customerIndex: customer.index,
      sku,
      termDuration,
      billingCycle,
      startDay,
      initialQuantity,
      seatChanges,
      orderId: rng.hex(12),
      friendlyName: sku.productName,
      autoRenewEnabled: rng.chance(0.9),
      cyclePrice: billingCycle === 'annual' ? monthly.times(12) : monthly,
      lifecycle: { kind: 'plain' },
    };
    return this.#withLifecycle(plain, new Rng(seedFrom(o.seed, 'lifecycle', customer.index, j)));
  }

  /**
   * Gives a share of subscriptions a trial, a cancellation, a suspension, a triennial
   * term or a credit. It draws from a stream of its own, so every other subscription
   * comes out exactly as it would without it.
   */
  #withLifecycle(sub: LicenseSubscription, rng: Rng): LicenseSubscription {
    const o = this.options;
    if (!rng.chance(o.lifecycleShare)) return sub;
    const windowDay = (from: number, to: number): number => this.usageStartDay + rng.int(from, Math.max(from, Math.min(to, o.days - 1)));
    const kind = rng.pick(['trial', 'converted', 'cancelled', 'suspended', 'triennial', 'credit'] as const);
    switch (kind) {
      case 'trial': {
        // Microsoft's licence trials run one month, free, for 25 seats.
        const startDay = windowDay(0, o.days - 1) - 29;
        return { ...sub, startDay, initialQuantity: 25, seatChanges: [], autoRenewEnabled: false, friendlyName: `${sub.sku.productName} Trial`, lifecycle: { kind, trialEndDay: addMonths(startDay, 1) - 1 } };
      }
      case 'converted': {
        const startDay = windowDay(0, o.days - 1);
        return { ...sub, startDay, seatChanges: sub.seatChanges.filter((c) => c.day > startDay), lifecycle: { kind, trialStartDay: addMonths(startDay, -1) } };
      }
      case 'cancelled': {
        if (o.days < 2) return sub;
        const startDay = windowDay(0, o.days - 2);
        const day = Math.min(startDay + rng.int(1, 6), this.usageEndDay);
        return { ...sub, startDay, seatChanges: [], lifecycle: { kind, day, orderId: rng.hex(12), referenceId: rng.uuid() } };
      }
      case 'suspended':
        return { ...sub, lifecycle: { kind, day: Math.max(sub.startDay + 1, windowDay(0, o.days - 1)) } };
      case 'triennial': {
        const monthly = new Exact(sub.sku.annualTermMonthlyPrice);
        return { ...sub, termDuration: 'P3Y', cyclePrice: sub.billingCycle === 'annual' ? monthly.times(12) : monthly };
      }
      case 'credit': {
        // A service credit of a tenth of a month's seats, as Microsoft grants for a missed SLA.
        const monthly = sub.billingCycle === 'annual' ? sub.cyclePrice.div(12) : sub.cyclePrice;
        const amount = monthly.times(sub.initialQuantity).div(10).toDecimalPlaces(2, Exact.ROUND_DOWN).negated();
        const day = Math.max(sub.startDay, windowDay(0, o.days - 1));
        return { ...sub, lifecycle: { kind, day, amount, orderId: rng.hex(12), referenceId: rng.uuid() } };
      }
    }
  }

  #buildAzurePlan(customer: Customer, azureCount: number): AzurePlan {
    const rng = new Rng(seedFrom(this.options.seed, 'azure-plan', customer.index));
    const names = ['Production', 'Development', 'Shared Services', 'Sandbox'];
    const id = rng.uuid();
    const orderId = rng.hex(12);
    const startDay = this.usageStartDay - rng.int(30, 900);
    const entitlements = Array.from({ length: azureCount }, (_, k) => ({
      id: rng.uuid(),
      friendlyName: `${customer.companyName.split(' ')[0]} ${names[k % names.length]}${k >= names.length ? ` ${k + 1}` : ''}`,
      index: k,
    }));
    return { id, orderId, startDay, entitlements };
  }
}

export function createPortfolio(options: PortfolioOptions, now: Date): Portfolio {
  return new Portfolio(resolvePortfolioOptions(options, now));
}

function buildPartner(seed: number | string): PartnerProfile {
  const rng = new Rng(seedFrom(seed, 'partner'));
  return {
    tenantId: rng.uuid(),
    name: 'Contoso Cloud Services',
    mpnId: String(rng.int(1_000_000, 6_999_999)),
    domain: 'contosocloudservices.onmicrosoft.com',
  };
}

function primaryRegions(geo: Geography): Region[] {
  const byLocation = (l: string): Region => REGIONS.find((r) => r.location === l) as Region;
  if (geo.country === 'US') return [byLocation('eastus'), byLocation('westus2')];
  if (geo.country === 'GB') return [byLocation('uksouth')];
  return [byLocation('westeurope'), byLocation('northeurope')];
}

const WEIGHTED_METERS: readonly MeterDef[] = METERS.flatMap((m) => Array<MeterDef>(METER_WEIGHTS[m.key] ?? 1).fill(m));

function pickMeter(rng: Rng): MeterDef {
  return rng.pick(WEIGHTED_METERS);
}

function resourceUri(subscriptionId: string, group: string, meter: MeterDef, name: string): string {
  const root = `/subscriptions/${subscriptionId}/resourceGroups/${group}/providers/${meter.consumedService}`;
  if (meter.resourceType === 'servers/databases') return `${root}/servers/sql-${group.slice(3)}/databases/${name}`;
  return `${root}/${meter.resourceType}/${name}`;
}
