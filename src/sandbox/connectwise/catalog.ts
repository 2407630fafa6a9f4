/**
 * The sandbox's ConnectWise company: a fixed, hand-readable set of client companies,
 * members, work roles, projects and agreements with additions, so tests check the hub's
 * figures by hand. Time entries are generated from a seed (see account.ts).
 */

export const COMPANY_ID = 'sandboxmsp';
export const CODEBASE = 'v2025_1/';

export interface CatalogCompany {
  id: number;
  identifier: string;
  name: string;
}

export const COMPANIES: readonly CatalogCompany[] = [
  { id: 250, identifier: 'Contoso', name: 'Contoso Ltd' },
  { id: 251, identifier: 'Fabrikam', name: 'Fabrikam Inc' },
  { id: 252, identifier: 'Northwind', name: 'Northwind Traders' },
];

export const MEMBERS = [
  { id: 101, identifier: 'jsmith', name: 'John Smith' },
  { id: 102, identifier: 'akhan', name: 'Aisha Khan' },
  { id: 103, identifier: 'mlopez', name: 'Maria Lopez' },
] as const;

export const WORK_ROLES = [
  { id: 1, name: 'Engineer', hourlyRate: 150 },
  { id: 2, name: 'Senior Engineer', hourlyRate: 185 },
] as const;

export const WORK_TYPES = [
  { id: 1, name: 'Remote' },
  { id: 2, name: 'Onsite' },
] as const;

/** One project per company; a cost node whose psaProjectCode is the project id claims its labour. */
export const PROJECTS = [
  { id: 301, name: 'M365 Migration', companyId: 250 },
  { id: 302, name: 'Azure Landing Zone', companyId: 251 },
  { id: 303, name: 'Intune Rollout', companyId: 252 },
] as const;

/** Service tickets (support outside any project). */
export const TICKETS = [
  { id: 401, summary: 'Mailbox permissions', companyId: 250 },
  { id: 402, summary: 'VPN outage', companyId: 251 },
  { id: 403, summary: 'New starter laptop', companyId: 252 },
] as const;

export interface CatalogProduct {
  id: number;
  identifier: string;
  description: string;
  price: number;
}

export const PRODUCTS: readonly CatalogProduct[] = [
  { id: 9001, identifier: 'M365-BP', description: 'Microsoft 365 Business Premium', price: 22 },
  { id: 9002, identifier: 'M365-E3', description: 'Microsoft 365 E3', price: 36 },
  { id: 9003, identifier: 'EXO-P1', description: 'Exchange Online (Plan 1)', price: 4 },
];

export interface CatalogAddition {
  id: number;
  productId: number;
  quantity: number;
  unitPrice: number;
}

export interface CatalogAgreement {
  id: number;
  name: string;
  companyId: number;
  additions: CatalogAddition[];
}

export const AGREEMENTS: readonly CatalogAgreement[] = [
  { id: 501, name: 'Managed Microsoft 365', companyId: 250, additions: [{ id: 7001, productId: 9001, quantity: 20, unitPrice: 22 }] },
  { id: 502, name: 'Managed Microsoft 365', companyId: 251, additions: [{ id: 7002, productId: 9002, quantity: 10, unitPrice: 36 }] },
  { id: 503, name: 'Managed Microsoft 365', companyId: 252, additions: [{ id: 7003, productId: 9001, quantity: 5, unitPrice: 22 }] },
];
