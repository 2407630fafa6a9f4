/**
 * The sandbox's HubSpot account: a fixed, hand-readable set of companies and deals
 * with line items, so tests can check the hub's figures by hand. Values are strings,
 * as HubSpot returns every property.
 */

export interface CatalogCompany {
  id: string;
  name: string;
  domain: string;
  /** The MSP's custom company property carrying the Microsoft tenant id, when filled in. */
  tenantId?: string;
  /** The company's address (HubSpot's own properties) and billing contact (the custom properties the hub's default company mapping reads). */
  billing?: Readonly<Record<string, string>>;
}

export interface CatalogLineItem {
  id: string;
  name: string;
  hs_sku: string;
  quantity: string;
  price: string;
  /** Amount off per unit. */
  discount?: string;
  hs_discount_percentage?: string;
  hs_cost_of_goods_sold?: string;
  recurringbillingfrequency?: string;
  hs_recurring_billing_period?: string;
  hs_product_id?: string;
}

export interface CatalogDeal {
  id: string;
  dealname: string;
  companyId: string;
  currency: string;
  lineItems: CatalogLineItem[];
}

export const PORTAL_ID = 62515;
export const APP_ID = 54321;
export const OPEN_STAGE = 'contractsent';
export const WON_STAGE = 'closedwon';
export const REOPENED_STAGE = 'decisionmakerboughtin';
/** The custom company property the sandbox fills with tenant ids (the connector's default name). */
export const TENANT_ID_PROPERTY = 'partner_center_tenant_id';

const monthly = { recurringbillingfrequency: 'monthly', hs_recurring_billing_period: 'P12M' };

export const COMPANIES: readonly CatalogCompany[] = [
  {
    id: '3001',
    name: 'Contoso Ltd',
    domain: 'contoso.example',
    tenantId: 'c0ffee00-0000-4000-8000-000000000001',
    billing: {
      billing_contact_firstname: 'Megan',
      billing_contact_lastname: 'Bowen',
      billing_contact_email: 'ap@contoso.example',
      address: '12 Harbour Street',
      address2: 'Floor 3',
      city: 'Seattle',
      state: 'WA',
      zip: '98101',
      country: 'United States',
    },
  },
  { id: '3002', name: 'Fabrikam Inc', domain: 'fabrikam.example' },
  { id: '3003', name: 'Northwind Traders', domain: 'northwind.example', tenantId: 'c0ffee00-0000-4000-8000-000000000003' },
];

export const DEALS: readonly CatalogDeal[] = [
  {
    id: '9001',
    dealname: 'Contoso - Microsoft 365 and Azure',
    companyId: '3001',
    currency: 'USD',
    lineItems: [
      { id: '7001', name: 'Microsoft 365 Business Premium', hs_sku: 'CFQ7TTC0LCHC:0002', quantity: '25', price: '22.00', discount: '1.00', hs_cost_of_goods_sold: '17.60', ...monthly },
      { id: '7002', name: 'Microsoft 365 E3', hs_sku: 'CFQ7TTC0LFLX:0001', quantity: '10', price: '36.00', hs_discount_percentage: '5', hs_cost_of_goods_sold: '28.80', ...monthly },
      { id: '7003', name: 'Azure consumption - compute', hs_sku: 'azure:compute', quantity: '1', price: '1150.00', hs_cost_of_goods_sold: '1000.00', ...monthly },
      { id: '7004', name: 'Azure consumption - storage', hs_sku: 'azure:storage', quantity: '1', price: '240.00', hs_cost_of_goods_sold: '200.00', ...monthly },
    ],
  },
  {
    id: '9002',
    dealname: 'Fabrikam - onboarding',
    companyId: '3002',
    currency: 'USD',
    lineItems: [
      { id: '7011', name: 'Microsoft 365 Business Basic', hs_sku: 'CFQ7TTC0LH18:0001', quantity: '5', price: '6.00', hs_cost_of_goods_sold: '4.80', ...monthly },
      { id: '7012', name: 'Onboarding workshop', hs_sku: 'SVC-ONBOARD', quantity: '1', price: '1500.00' },
      { id: '7013', name: 'Azure Quantum credits', hs_sku: 'azure:quantum', quantity: '1', price: '100.00', hs_cost_of_goods_sold: '90.00', ...monthly },
    ],
  },
  {
    id: '9003',
    dealname: 'Northwind - Azure landing zone',
    companyId: '3003',
    currency: 'EUR',
    lineItems: [{ id: '7021', name: 'Azure consumption - networking', hs_sku: 'azure:networking', quantity: '1', price: '330.00', hs_cost_of_goods_sold: '300.00', ...monthly }],
  },
];
