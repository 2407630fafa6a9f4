import { Decimal } from 'decimal.js';
import { ACCOUNTS, ONBOARDING_TEMPLATE_FIELD, OPEN_STAGE, OPPORTUNITIES, REOPENED_STAGE, WON_STAGE } from './catalog.ts';
import { sfId } from './ids.ts';

export type SObjectType = 'Account' | 'Opportunity' | 'OpportunityLineItem' | 'Quote' | 'QuoteLineItem' | 'Product2';
export type FieldValue = string | number | boolean | null;
export type SRecord = Record<string, FieldValue>;

/** Every field each object has in the sandbox org, in the API's own spelling. */
export const FIELDS: Record<SObjectType, readonly string[]> = {
  Account: ['Id', 'Name', 'AccountNumber', 'Type', 'ParentId', 'Website', 'Phone', 'BillingCountry', 'Partner_Center_Tenant_Id__c', 'LastModifiedDate', 'SystemModstamp'],
  Opportunity: [
    'Id', 'Name', 'AccountId', 'StageName', 'IsClosed', 'IsWon', 'Amount', 'CloseDate', 'CurrencyIsoCode', 'Pricebook2Id', 'HasOpportunityLineItem',
    'Probability', 'ForecastCategoryName', 'SyncedQuoteId', 'LastModifiedDate', 'SystemModstamp',
    ONBOARDING_TEMPLATE_FIELD,
  ],
  OpportunityLineItem: [
    'Id', 'OpportunityId', 'PricebookEntryId', 'Product2Id', 'ProductCode', 'Name', 'Quantity', 'UnitPrice', 'ListPrice', 'Discount', 'Subtotal', 'TotalPrice',
    'ServiceDate', 'Description', 'SortOrder', 'Unit_Cost__c', 'Billing_Frequency__c', 'Term__c', 'SystemModstamp',
    // A custom field an MSP adds: the distributor's price, where it differs from Unit_Cost__c.
    'Distributor_Cost__c',
  ],
  Quote: [
    'Id', 'Name', 'QuoteNumber', 'OpportunityId', 'AccountId', 'Status', 'IsSyncing', 'ExpirationDate', 'Subtotal', 'Discount', 'TotalPrice', 'GrandTotal',
    'CurrencyIsoCode', 'Pricebook2Id', 'LastModifiedDate', 'SystemModstamp',
  ],
  // No Name or ProductCode of its own: those are the product's (Product2).
  QuoteLineItem: [
    'Id', 'QuoteId', 'LineNumber', 'OpportunityLineItemId', 'PricebookEntryId', 'Product2Id', 'Quantity', 'UnitPrice', 'ListPrice', 'Discount', 'Subtotal',
    'TotalPrice', 'ServiceDate', 'Description', 'SortOrder', 'Unit_Cost__c', 'Billing_Frequency__c', 'Term__c', 'SystemModstamp',
    // A custom field an MSP adds: the distributor's price, where it differs from Unit_Cost__c.
    'Distributor_Cost__c',
  ],
  Product2: ['Id', 'Name', 'ProductCode', 'Description', 'Family', 'IsActive', 'StockKeepingUnit'],
};

/** Salesforce's date-time format: milliseconds and a +0000 offset. */
export const sfDateTime = (at: Date) => at.toISOString().replace('Z', '+0000');

/** The mutable state of the sandbox org, built from the catalog. */
export class SalesforceOrg {
  readonly #records: Record<SObjectType, Map<string, SRecord>> = {
    Account: new Map(),
    Opportunity: new Map(),
    OpportunityLineItem: new Map(),
    Quote: new Map(),
    QuoteLineItem: new Map(),
    Product2: new Map(),
  };
  #quotes = 0;
  #quoteLines = 0;
  readonly #now: () => Date;

  constructor(now: () => Date) {
    this.#now = now;
    const created = '2026-11-02T09:00:00.000+0000';
    for (const a of ACCOUNTS) this.#records.Account.set(a.Id, { AccountNumber: null, Type: 'Customer', ParentId: null, Phone: null, ...a, LastModifiedDate: created, SystemModstamp: created });
    let product = 0;
    for (const o of OPPORTUNITIES) {
      o.lines.forEach((line, i) => {
        product++;
        this.#records.Product2.set(sfId('01t', product), {
          Id: sfId('01t', product),
          Name: line.Name,
          ProductCode: line.ProductCode,
          Description: null,
          Family: line.ProductCode.startsWith('azure:') ? 'Azure' : 'Microsoft 365',
          IsActive: true,
          StockKeepingUnit: null,
        });
        this.#records.OpportunityLineItem.set(line.Id, {
          ...line,
          OpportunityId: o.Id,
          PricebookEntryId: sfId('01u', product),
          Product2Id: sfId('01t', product),
          ListPrice: line.UnitPrice,
          ServiceDate: null,
          Description: null,
          SortOrder: i + 1,
          SystemModstamp: created,
          ...lineTotals(line.Quantity, line.UnitPrice, line.Discount),
        });
      });
      this.#records.Opportunity.set(o.Id, {
        Id: o.Id,
        Name: o.Name,
        AccountId: o.AccountId,
        StageName: OPEN_STAGE,
        IsClosed: false,
        IsWon: false,
        Amount: null,
        CloseDate: '2026-12-31',
        CurrencyIsoCode: o.CurrencyIsoCode,
        Pricebook2Id: sfId('01s', 1),
        HasOpportunityLineItem: o.lines.length > 0,
        Probability: 75,
        ForecastCategoryName: 'Commit',
        SyncedQuoteId: null,
        [ONBOARDING_TEMPLATE_FIELD]: null,
        LastModifiedDate: created,
        SystemModstamp: created,
      });
      this.#refreshAmount(o.Id);
    }
  }

  /** Records of one object, in insertion order. */
  all(type: SObjectType): SRecord[] {
    return [...this.#records[type].values()];
  }

  get(type: SObjectType, id: string): SRecord | undefined {
    return this.#records[type].get(id) ?? [...this.#records[type].values()].find((r) => String(r.Id).slice(0, 15) === id.slice(0, 15) && id.length === 15);
  }

  /** Sets fields of a line item (Quantity, UnitPrice, Discount…); totals and the opportunity's Amount follow. */
  updateLine(id: string, fields: SRecord): SRecord | undefined {
    const line = this.#setLineFields('OpportunityLineItem', id, fields);
    if (line) this.#refreshAmount(String(line.OpportunityId));
    return line;
  }

  /** A line's new field values with its Subtotal and TotalPrice worked out again. */
  #setLineFields(type: 'OpportunityLineItem' | 'QuoteLineItem', id: string, fields: SRecord): SRecord | undefined {
    const line = this.get(type, id);
    if (!line) return undefined;
    Object.assign(line, fields, lineTotals(Number(fields.Quantity ?? line.Quantity), Number(fields.UnitPrice ?? line.UnitPrice), (fields.Discount ?? line.Discount) as number | null));
    line.SystemModstamp = sfDateTime(this.#now());
    return line;
  }

  /** Sets editable fields of an opportunity (a custom picklist, the synced quote), as a user would in the UI. */
  updateOpportunity(id: string, fields: SRecord): SRecord | undefined {
    const opportunity = this.get('Opportunity', id);
    if (!opportunity) return undefined;
    const at = sfDateTime(this.#now());
    Object.assign(opportunity, fields, { LastModifiedDate: at, SystemModstamp: at });
    return opportunity;
  }

  /**
   * Creates a quote from the opportunity's line items, as the Quotes related list does,
   * and starts syncing it (Opportunity.SyncedQuoteId, Quote.IsSyncing). The sandbox does
   * not mirror later edits between the synced quote's and the opportunity's lines, so a
   * test can tell which of the two the hub read.
   */
  createSyncedQuote(opportunityId: string): SRecord | undefined {
    const opportunity = this.get('Opportunity', opportunityId);
    if (!opportunity) return undefined;
    const quoteId = sfId('0Q0', ++this.#quotes);
    const at = sfDateTime(this.#now());
    const lines = this.all('OpportunityLineItem').filter((l) => l.OpportunityId === opportunity.Id);
    lines.forEach((l, i) => {
      const id = sfId('0QL', ++this.#quoteLines);
      this.#records.QuoteLineItem.set(id, {
        Id: id,
        QuoteId: quoteId,
        LineNumber: String(i + 1).padStart(8, '0'),
        OpportunityLineItemId: l.Id!,
        PricebookEntryId: l.PricebookEntryId!,
        Product2Id: l.Product2Id!,
        Quantity: l.Quantity!,
        UnitPrice: l.UnitPrice!,
        ListPrice: l.ListPrice!,
        Discount: l.Discount!,
        ServiceDate: null,
        Description: null,
        SortOrder: l.SortOrder!,
        Unit_Cost__c: l.Unit_Cost__c!,
        Billing_Frequency__c: l.Billing_Frequency__c!,
        Term__c: l.Term__c!,
        SystemModstamp: at,
        ...lineTotals(Number(l.Quantity), Number(l.UnitPrice), l.Discount as number | null),
      });
    });
    const quote: SRecord = {
      Id: quoteId,
      Name: `${String(opportunity.Name)} quote`,
      QuoteNumber: String(this.#quotes).padStart(8, '0'),
      OpportunityId: opportunity.Id!,
      AccountId: opportunity.AccountId!,
      Status: 'Accepted',
      IsSyncing: true,
      ExpirationDate: null,
      Discount: null,
      CurrencyIsoCode: opportunity.CurrencyIsoCode!,
      Pricebook2Id: opportunity.Pricebook2Id!,
      LastModifiedDate: at,
      SystemModstamp: at,
    };
    this.#records.Quote.set(quoteId, quote);
    this.#refreshQuote(quoteId);
    this.updateOpportunity(opportunity.Id as string, { SyncedQuoteId: quoteId });
    return quote;
  }

  /** Sets fields of a quote line item (Quantity, UnitPrice, Discount, Unit_Cost__c…); its totals and the quote's follow. */
  updateQuoteLine(id: string, fields: SRecord): SRecord | undefined {
    const line = this.#setLineFields('QuoteLineItem', id, fields);
    if (line) this.#refreshQuote(String(line.QuoteId));
    return line;
  }

  #refreshQuote(quoteId: string): void {
    const lines = this.all('QuoteLineItem').filter((l) => l.QuoteId === quoteId);
    const subtotal = lines.reduce((sum, l) => sum.plus(Number(l.Subtotal)), new Decimal(0));
    const total = lines.reduce((sum, l) => sum.plus(Number(l.TotalPrice)), new Decimal(0));
    Object.assign(this.#records.Quote.get(quoteId)!, { Subtotal: subtotal.toNumber(), TotalPrice: total.toNumber(), GrandTotal: total.toNumber() });
  }

  /** Moves an opportunity to Closed Won: the stage's definition sets IsWon and IsClosed; CloseDate becomes today. */
  win(id: string): SRecord | undefined {
    return this.updateOpportunity(id, { StageName: WON_STAGE, IsWon: true, IsClosed: true, Probability: 100, ForecastCategoryName: 'Closed', CloseDate: this.#now().toISOString().slice(0, 10) });
  }

  /** Moves a won opportunity back to an open stage. */
  reopen(id: string): SRecord | undefined {
    return this.updateOpportunity(id, { StageName: REOPENED_STAGE, IsWon: false, IsClosed: false, Probability: 90, ForecastCategoryName: 'Commit' });
  }

  #refreshAmount(opportunityId: string): void {
    const total = this.all('OpportunityLineItem')
      .filter((l) => l.OpportunityId === opportunityId)
      .reduce((sum, l) => sum.plus(Number(l.TotalPrice)), new Decimal(0));
    this.#records.Opportunity.get(opportunityId)!.Amount = total.toNumber();
  }
}

/** Subtotal is quantity × sales price; TotalPrice takes the discount percent off it. */
function lineTotals(quantity: number, unitPrice: number, discount: number | null): SRecord {
  const subtotal = new Decimal(quantity).times(unitPrice);
  const total = subtotal.times(new Decimal(100).minus(discount ?? 0).div(100)).toDecimalPlaces(2);
  return { Subtotal: subtotal.toNumber(), TotalPrice: total.toNumber() };
}
