/**
 * Shared types of the Partner Center sandbox. Modules import types from here
 * rather than from each other, which keeps the import graph shallow.
 */
import type { Decimal } from 'decimal.js';
import type { Geography, LicenseSku, MeterDef, Region } from './catalog.ts';

/** A value on a billing line: text, an exact amount, or a list (ProductQualifiers). */
export type LineValue = string | Decimal | readonly string[];
/** A billing line keyed by reconciliation-file column name (see fields.ts). */
export type LineRecord = Readonly<Record<string, LineValue>>;

export type BillingCurrency = Geography['currency'];

export interface PortfolioOptions {
  /** Same seed, same portfolio, byte for byte. Default 1. */
  seed?: number | string;
  /** Default 5. */
  customers?: number;
  /**
   * Subscriptions per customer: licence subscriptions plus Azure subscriptions.
   * The Azure ones sit under one Azure plan, so Partner Center lists
   * `licence count + 1` subscriptions for a customer that has any. Default 5.
   */
  subscriptionsPerCustomer?: number;
  /** Resources per Azure subscription; each yields one usage line a day. Default 20. */
  resourcesPerSubscription?: number;
  /** First usage month, 'YYYY-MM'. Default: the month of the sandbox's initial `now`. */
  period?: string;
  /** Usage days from the first of `period` (may run into later months). Default: the month's length. */
  days?: number;
  /** Share (0..1) of each Azure subscription's resources that carry costCenter/project tags. Default 0.6. */
  tagCoverage?: number;
  /** Share (0..1) of subscriptions that are licence-based; the rest are Azure. Default 0.8. */
  licenseShare?: number;
  /** A usage line for day D is published D + [min, max] hours later (per line, from the seed). Default [24, 48]. */
  latencyHours?: [number, number];
  /** Share of usage lines Microsoft charges a period late ("latent usage"). Default 0.002. */
  latentShare?: number;
  /** Share of licence subscriptions with a seat change inside the usage window. Default 0.3. */
  seatChangeShare?: number;
  /** Share of customers whose Azure usage earns the 15 % partner-earned credit. Default 0.7. */
  pecShare?: number;
  /** Share of customers billed in EUR or GBP (the rest in USD). Default 0.3. */
  foreignCurrencyShare?: number;
  /** Day of the following month from which a period's invoice exists. Default 8. */
  invoiceReadyDay?: number;
  /**
   * Share (0..1) of licence subscriptions with a life of their own: a running free trial,
   * a trial converted to paid, a cancellation within the 7-day window, a suspension, a
   * triennial term, or a service credit. Default 0.2.
   */
  lifecycleShare?: number;
}

export type ResolvedPortfolioOptions = Required<PortfolioOptions> & { seed: number | string };

export interface PartnerProfile {
  tenantId: string;
  name: string;
  mpnId: string;
  domain: string;
}

export interface Customer {
  index: number;
  /** The customer's Entra tenant id; Partner Center uses it as the customer id. */
  id: string;
  commerceId: string;
  companyName: string;
  domain: string;
  geography: Geography;
  city: string;
  /** The partner holds eligible admin access, so Azure usage earns PEC. */
  pec: boolean;
  primaryRegions: readonly Region[];
  licenseSubscriptions: readonly LicenseSubscription[];
  azurePlan: AzurePlan | null;
}

export type LicenseChargeType = 'new' | 'renew' | 'cycleCharge' | 'addQuantity' | 'removeQuantity' | 'convert' | 'cancelImmediate' | 'customerCredit';

/**
 * What happens to a licence subscription besides seat changes, as Microsoft bills it:
 * - `trial`: a free trial running on a day of the usage window; no billing lines. It expires
 *   at its end (the sandbox's trials do not convert by themselves).
 * - `converted`: a trial that became paid on `startDay` (a `convert` line instead of `new`).
 * - `cancelled`: bought on `startDay`, cancelled on `day` inside the 7-day window; a
 *   `cancelImmediate` refund for the rest of the cycle, nothing billed after it.
 * - `suspended`: suspended from `day`; new-commerce billing goes on until the term ends.
 * - `credit`: a `customerCredit` of `amount` (negative, pricing currency) on `day`.
 */
export type Lifecycle =
  | { kind: 'plain' }
  | { kind: 'trial'; trialEndDay: number }
  | { kind: 'converted'; trialStartDay: number }
  | { kind: 'cancelled'; day: number; orderId: string; referenceId: string }
  | { kind: 'suspended'; day: number }
  | { kind: 'credit'; day: number; amount: Decimal; orderId: string; referenceId: string };

export interface SeatChange {
  day: number;
  quantity: number;
  chargeType: 'addQuantity' | 'removeQuantity';
  orderId: string;
  referenceId: string;
}

export interface LicenseSubscription {
  id: string;
  customerIndex: number;
  sku: LicenseSku;
  termDuration: 'P1M' | 'P1Y' | 'P3Y';
  billingCycle: 'monthly' | 'annual';
  /** Day number of purchase (effectiveStartDate). */
  startDay: number;
  /** Seats bought. */
  initialQuantity: number;
  seatChanges: readonly SeatChange[];
  orderId: string;
  friendlyName: string;
  autoRenewEnabled: boolean;
  /** List price per billing cycle in USD (monthly price, or twelve of them when billed annually). */
  cyclePrice: Decimal;
  lifecycle: Lifecycle;
}

export interface AzurePlan {
  id: string;
  orderId: string;
  startDay: number;
  entitlements: readonly AzureEntitlement[];
}

export interface AzureEntitlement {
  id: string;
  friendlyName: string;
  index: number;
}

export interface AzureResource {
  customerIndex: number;
  entitlement: AzureEntitlement;
  index: number;
  name: string;
  resourceGroup: string;
  resourceUri: string;
  meter: MeterDef;
  meterId: string;
  region: Region;
  /** User tags, or null when the resource carries none. */
  tags: Readonly<Record<string, string>> | null;
  /** Office-hours dev box: 8–12 h on weekdays, nothing at weekends. */
  officeHours: boolean;
  /** Whole units for 'monthly' meters (GB stored, disks). */
  size: number;
  pecPercentage: number;
  unitPrice: Decimal;
  effectiveUnitPrice: Decimal;
  /** Root of the per-day hashes (quantity, publication delay, latency). */
  seed: number;
}

export interface Invoice {
  id: string;
  monthIndex: number;
  currency: BillingCurrency;
  /** Milliseconds: the invoice exists from this instant on. */
  readyAtMs: number;
}

export type ThrottleOptions = {
  /** Calls accepted per window; calls beyond it get 429 + Retry-After. Unset: no rate limit. */
  limit?: number;
  /** Window length in seconds (default 1, so `limit` is calls per second). */
  windowSeconds?: number;
  /** Every Nth throttled-surface call gets 429, whatever the rate. Unset: off. */
  everyNth?: number;
  /** Retry-After (seconds) sent with the every-Nth 429s. Default 1. */
  everyNthRetryAfterSeconds?: number;
};

export interface SandboxStats {
  /** API calls received on throttled surfaces (Partner Center, Graph). */
  calls: number;
  /** Of those, answered without a 429. */
  served: number;
  /** 429 responses sent. */
  throttled: number;
  /** Sum of the Retry-After seconds sent with those 429s. */
  retryAfterSecondsRequested: number;
  /** 401 responses sent (API and token endpoint). */
  unauthorized: number;
  /** 403 responses sent (revoked consent, bad SAS). */
  forbidden: number;
  tokensIssued: number;
  blobsServed: number;
}

export interface SandboxCredentials {
  /** The partner's tenant id (the authority path segment). */
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** A Secure Application Model refresh token for the app + partner user. */
  refreshToken: string;
}
