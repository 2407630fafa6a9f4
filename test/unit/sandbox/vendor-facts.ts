/**
 * Microsoft's documented facts about Partner Center billing data, as the contract tests
 * read them: test/fixtures/vendor/partner-center.json, restated from Microsoft's docs
 * (its $comment names the pages), never from the hub's own mapping tables.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PartnerCenterFacts {
  usageFile: { columns: string[] };
  licenseFile: { columns: string[] };
  customer: { fields: string[]; companyProfileFields: string[] };
  subscriptionBillingFields: { fields: string[] };
  usageExportV2: { attributes: { name: string; basic: boolean }[] };
  exportManifest: { dataFormat: string; fields: string[] };
  exportOperations: { expiredStatus: number };
  throttling: { perApi: boolean; perCustomerTenant: boolean; requestsPerMinutePerTenant: Record<string, number> };
  subscriptions: { statuses: string[]; termDurations: string[]; billingCycles: string[]; trialFlag: string };
  licenseChargeTypes: { values: string[] };
}

export const facts = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'vendor', 'partner-center.json'), 'utf8')) as PartnerCenterFacts;
