import type { MappingRule, RecordSchema } from './engine/types.ts';
import { CONNECTWISE_TIME_ENTRY_DEFAULT, CONNECTWISE_TIME_ENTRY_SOURCE, TIME_ENTRY_TARGET } from './connectwise/time-entry-mapping.ts';
import { HUBSPOT_DEAL_DEFAULT, HUBSPOT_DEAL_SOURCE, QUOTE_TARGET } from './hubspot/deal-mapping.ts';
import { HUBSPOT_LINE_ITEM_DEFAULT, HUBSPOT_LINE_ITEM_SOURCE, QUOTE_LINE_TARGET } from './hubspot/line-item-mapping.ts';
import { lineFieldSettingsOf, salesforceLineItemDefault, SALESFORCE_LINE_ITEM_SOURCE } from './salesforce/line-item-mapping.ts';
import { SALESFORCE_DEFAULT_FIELDS } from '../connectors/salesforce/declaration.ts';
import { PC_CUSTOMER_DEFAULT, PC_CUSTOMER_SOURCE, PC_CUSTOMER_TARGET } from './partner-center/customer-mapping.ts';
import { PC_SUBSCRIPTION_DEFAULT, PC_SUBSCRIPTION_SOURCE, PC_SUBSCRIPTION_TARGET } from './partner-center/subscription-mapping.ts';
import { PC_USAGE_LINE_DEFAULT, PC_USAGE_LINE_SOURCE, PC_USAGE_LINE_TARGET } from './partner-center/usage-mapping.ts';
import { PC_LICENSE_LINE_DEFAULT, PC_LICENSE_LINE_SOURCE, PC_LICENSE_LINE_TARGET } from './partner-center/license-mapping.ts';
import { AUTOTASK_TIME_ENTRY_DEFAULT, AUTOTASK_TIME_ENTRY_SOURCE, AUTOTASK_TIME_ENTRY_TARGET } from './autotask/time-entry-mapping.ts';
import { CUSTOMER_BILLING } from './customer/billing.ts';
import { HUBSPOT_COMPANY_DEFAULT, HUBSPOT_COMPANY_SOURCE } from './hubspot/company-mapping.ts';
import { XERO_CONTACT_DEFAULT, XERO_CONTACT_TARGET } from './xero/contact-mapping.ts';
import { ERP_INVOICE_SOURCE } from './accounting/invoice-source.ts';
import { XERO_INVOICE_DEFAULT, XERO_INVOICE_TARGET } from './xero/invoice-mapping.ts';
import { QUICKBOOKS_CUSTOMER_DEFAULT, QUICKBOOKS_CUSTOMER_TARGET } from './quickbooks/customer-mapping.ts';
import { QUICKBOOKS_INVOICE_DEFAULT, QUICKBOOKS_INVOICE_SOURCE, QUICKBOOKS_INVOICE_TARGET } from './quickbooks/invoice-mapping.ts';

// The objects whose mapping admins can change through the API, per provider. A connector
// plugs in by adding an entry: its source schema, the canonical target, and its built-in
// behaviour as the default rules.

export interface MappingObject {
  provider: string;
  object: string;
  description: string;
  source: RecordSchema;
  target: RecordSchema;
  defaultRules: readonly MappingRule[];
  /** The default for one connection, where it depends on the connection's settings (the org's field names). */
  defaultRulesFor?: (settings: Readonly<Record<string, unknown>>) => readonly MappingRule[];
}

export const MAPPING_OBJECTS: readonly MappingObject[] = [
  {
    provider: 'hubspot',
    object: 'deal',
    description: 'A won HubSpot deal (with its company and the totals of its line items) → the quote and its Azure budget',
    source: HUBSPOT_DEAL_SOURCE,
    target: QUOTE_TARGET,
    defaultRules: HUBSPOT_DEAL_DEFAULT,
  },
  {
    provider: 'hubspot',
    object: 'line_item',
    description: "Each line item of a won HubSpot deal → a quote line's values (SKU, quantity, price, discount, unit cost, billing frequency), checked by the hub after mapping",
    source: HUBSPOT_LINE_ITEM_SOURCE,
    target: QUOTE_LINE_TARGET,
    defaultRules: HUBSPOT_LINE_ITEM_DEFAULT,
  },
  {
    provider: 'connectwise',
    object: 'time_entry',
    description: 'A ConnectWise time entry → the fields its labour line is made from (company, project, hours, billable option, rate, work role, dates)',
    source: CONNECTWISE_TIME_ENTRY_SOURCE,
    target: TIME_ENTRY_TARGET,
    defaultRules: CONNECTWISE_TIME_ENTRY_DEFAULT,
  },
  {
    provider: 'salesforce',
    object: 'line_item',
    description:
      "Each line of a won Salesforce opportunity (its OpportunityLineItems, or its synced quote's QuoteLineItems) → a quote line's values; version 0 reads the cost, frequency and term fields the connection's settings name",
    source: SALESFORCE_LINE_ITEM_SOURCE,
    target: QUOTE_LINE_TARGET,
    defaultRules: salesforceLineItemDefault(SALESFORCE_DEFAULT_FIELDS),
    defaultRulesFor: (settings) => salesforceLineItemDefault(lineFieldSettingsOf(settings, SALESFORCE_DEFAULT_FIELDS)),
  },
  {
    provider: 'autotask',
    object: 'time_entry',
    description:
      'An Autotask time entry with the records it points at (its ticket and the ticket\'s user-defined fields, task, project, role, resource, billing code, contract rate) → the fields its labour line is made from (company, project, hours, billable, rates, work type and role, dates)',
    source: AUTOTASK_TIME_ENTRY_SOURCE,
    target: AUTOTASK_TIME_ENTRY_TARGET,
    defaultRules: AUTOTASK_TIME_ENTRY_DEFAULT,
  },
  {
    provider: 'hubspot',
    object: 'company',
    description: "A customer's HubSpot company → its billing contact and address (the CRM owns both by default; drift detection compares them with the ERP's copy)",
    source: HUBSPOT_COMPANY_SOURCE,
    target: CUSTOMER_BILLING,
    defaultRules: HUBSPOT_COMPANY_DEFAULT,
  },
  {
    provider: 'xero',
    object: 'contact',
    description: 'The hub customer (name, id, billing contact and address) → the Xero contact the posting job creates and drift detection compares',
    source: CUSTOMER_BILLING,
    target: XERO_CONTACT_TARGET,
    defaultRules: XERO_CONTACT_DEFAULT,
  },
  {
    provider: 'partner-center',
    object: 'customer',
    description: "A customer of the partner's customer list → the tenant id that links it to a hub customer and the name a customer first met is created with",
    source: PC_CUSTOMER_SOURCE,
    target: PC_CUSTOMER_TARGET,
    defaultRules: PC_CUSTOMER_DEFAULT,
  },
  {
    provider: 'partner-center',
    object: 'subscription',
    description: "A customer's subscription → the hub's subscription (offer, SKU, quantity, status, billing type and cycle, term, dates); a quantity or status change is a billing event",
    source: PC_SUBSCRIPTION_SOURCE,
    target: PC_SUBSCRIPTION_TARGET,
    defaultRules: PC_SUBSCRIPTION_DEFAULT,
  },
  {
    provider: 'partner-center',
    object: 'usage_line',
    description:
      "An Azure daily rated usage line (its documented columns, and its resource's tags as Tags.<key>) → the fields allocation and invoices read (resource group, meter, location, tags); the line's identity, day and amounts stay Microsoft's. Compiled once per export: rules equal to the default cost nothing per line",
    source: PC_USAGE_LINE_SOURCE,
    target: PC_USAGE_LINE_TARGET,
    defaultRules: PC_USAGE_LINE_DEFAULT,
  },
  {
    provider: 'xero',
    object: 'invoice',
    description: "A hub invoice's header → the Xero sales invoice's InvoiceNumber, Reference, Date and DueDate (the hub number must stay in InvoiceNumber or Reference: the posting reads the invoice back by it)",
    source: ERP_INVOICE_SOURCE,
    target: XERO_INVOICE_TARGET,
    defaultRules: XERO_INVOICE_DEFAULT,
  },
  {
    provider: 'quickbooks',
    object: 'invoice',
    description: "A hub invoice's header → the QuickBooks invoice's DocNumber, PrivateNote, CustomerMemo, dates and string custom fields 1–3 (DocNumber must keep the hub number: the posting reads the invoice back by it)",
    source: QUICKBOOKS_INVOICE_SOURCE,
    target: QUICKBOOKS_INVOICE_TARGET,
    defaultRules: QUICKBOOKS_INVOICE_DEFAULT,
  },
  {
    provider: 'partner-center',
    object: 'license_line',
    description:
      "A new-commerce reconciliation line (its documented columns) → the descriptive fields invoices and reports show (product, SKU, publisher, subscription and charge descriptions, product category); the line's identity, dates, quantities and amounts stay Microsoft's. Compiled once per sync job: rules equal to the default cost nothing per line",
    source: PC_LICENSE_LINE_SOURCE,
    target: PC_LICENSE_LINE_TARGET,
    defaultRules: PC_LICENSE_LINE_DEFAULT,
  },
  {
    provider: 'quickbooks',
    object: 'customer',
    description: 'The hub customer (name, billing contact and address) → the QuickBooks Customer fields drift detection compares (GivenName, FamilyName, PrimaryEmailAddr, BillAddr)',
    source: CUSTOMER_BILLING,
    target: QUICKBOOKS_CUSTOMER_TARGET,
    defaultRules: QUICKBOOKS_CUSTOMER_DEFAULT,
  },
];

export function mappingObjectsOf(provider: string): MappingObject[] {
  return MAPPING_OBJECTS.filter((o) => o.provider === provider);
}

export function mappingObject(provider: string, object: string): MappingObject | undefined {
  return MAPPING_OBJECTS.find((o) => o.provider === provider && o.object === object);
}

/** The object as one connection sees it: its default rules for the connection's settings. */
export function forConnection(object: MappingObject, settings: Readonly<Record<string, unknown>>): MappingObject {
  return object.defaultRulesFor ? { ...object, defaultRules: object.defaultRulesFor(settings) } : object;
}
