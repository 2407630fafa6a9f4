import { sfId } from './ids.ts';

/**
 * The sandbox's Salesforce org: a fixed, hand-readable set of Accounts and Opportunities
 * with line items, so tests can check the hub's figures by hand. Numbers are JSON numbers,
 * as the REST API returns number and currency fields.
 */

export const ORG_ID = sfId('00D', 1);
export const USER_ID = sfId('005', 1);
export const OPEN_STAGE = 'Proposal/Price Quote';
export const WON_STAGE = 'Closed Won';
export const REOPENED_STAGE = 'Negotiation/Review';
/** The custom Account field the sandbox fills with tenant ids (the connector's default name). */
export const TENANT_ID_FIELD = 'Partner_Center_Tenant_Id__c';
/** A custom Opportunity picklist an org may add to choose the onboarding template (empty on every catalog opportunity). */
export const ONBOARDING_TEMPLATE_FIELD = 'Onboarding_Template__c';

export interface CatalogAccount {
  Id: string;
  Name: string;
  Website: string;
  BillingCountry: string;
  Partner_Center_Tenant_Id__c: string | null;
}

export interface CatalogLine {
  Id: string;
  Name: string;
  ProductCode: string;
  Quantity: number;
  UnitPrice: number;
  /** Percent off the sales price, or null. */
  Discount: number | null;
  Unit_Cost__c: number | null;
  Billing_Frequency__c: 'Monthly' | 'Annual' | 'One-Time';
  Term__c: string | null;
}

export interface CatalogOpportunity {
  Id: string;
  Name: string;
  AccountId: string;
  CurrencyIsoCode: string;
  lines: CatalogLine[];
}

const ADATUM = sfId('001', 1);
const TAILSPIN = sfId('001', 2);
const WOODGROVE = sfId('001', 3);

export const ACCOUNTS: readonly CatalogAccount[] = [
  { Id: ADATUM, Name: 'Adatum Corporation', Website: 'https://adatum.example', BillingCountry: 'United States', Partner_Center_Tenant_Id__c: 'c0ffee00-0000-4000-8000-000000000011' },
  { Id: TAILSPIN, Name: 'Tailspin Toys', Website: 'https://tailspin.example', BillingCountry: 'United States', Partner_Center_Tenant_Id__c: null },
  { Id: WOODGROVE, Name: 'Woodgrove Bank', Website: 'https://woodgrove.example', BillingCountry: 'Germany', Partner_Center_Tenant_Id__c: 'c0ffee00-0000-4000-8000-000000000013' },
];

const monthly = { Billing_Frequency__c: 'Monthly', Term__c: 'P12M' } as const;

export const OPPORTUNITIES: readonly CatalogOpportunity[] = [
  {
    Id: sfId('006', 1),
    Name: 'Adatum - Microsoft 365 and Azure',
    AccountId: ADATUM,
    CurrencyIsoCode: 'USD',
    lines: [
      { Id: sfId('00k', 1), Name: 'Microsoft 365 Business Premium', ProductCode: 'CFQ7TTC0LCHC:0002', Quantity: 40, UnitPrice: 22, Discount: 10, Unit_Cost__c: 17.6, ...monthly },
      { Id: sfId('00k', 2), Name: 'Azure consumption - compute', ProductCode: 'azure:compute', Quantity: 1, UnitPrice: 2300, Discount: null, Unit_Cost__c: 2000, ...monthly },
    ],
  },
  {
    Id: sfId('006', 2),
    Name: 'Tailspin - setup',
    AccountId: TAILSPIN,
    CurrencyIsoCode: 'USD',
    lines: [
      { Id: sfId('00k', 11), Name: 'Microsoft 365 Business Basic', ProductCode: 'CFQ7TTC0LH18:0001', Quantity: 8, UnitPrice: 6, Discount: null, Unit_Cost__c: 4.8, ...monthly },
      { Id: sfId('00k', 12), Name: 'Tenant setup', ProductCode: 'SVC-SETUP', Quantity: 1, UnitPrice: 900, Discount: null, Unit_Cost__c: null, Billing_Frequency__c: 'One-Time', Term__c: null },
    ],
  },
  {
    Id: sfId('006', 3),
    Name: 'Woodgrove - Azure storage',
    AccountId: WOODGROVE,
    CurrencyIsoCode: 'EUR',
    lines: [{ Id: sfId('00k', 21), Name: 'Azure consumption - storage', ProductCode: 'azure:storage', Quantity: 1, UnitPrice: 575, Discount: null, Unit_Cost__c: 500, ...monthly }],
  },
];
