/**
 * The sandbox's Autotask database: a fixed, hand-readable set of client companies,
 * resources, roles, projects with tasks, tickets, services and recurring-service
 * contracts, so tests check the hub's figures by hand. Time entries are generated
 * from a seed (see account.ts).
 */

export const API_USER = 'hub-api@sandbox-msp.example';
export const ZONE_NAME = 'Sandbox Zone';

export const COMPANIES = [
  { id: 1001, companyName: 'Contoso Ltd', companyNumber: 'C-1001' },
  { id: 1002, companyName: 'Fabrikam Inc', companyNumber: 'C-1002' },
  { id: 1003, companyName: 'Northwind Traders', companyNumber: 'C-1003' },
] as const;

export const RESOURCES = [
  { id: 201, userName: 'jsmith', firstName: 'John', lastName: 'Smith' },
  { id: 202, userName: 'akhan', firstName: 'Aisha', lastName: 'Khan' },
  { id: 203, userName: 'mlopez', firstName: 'Maria', lastName: 'Lopez' },
] as const;

/** Time entries carry no rate of their own: billing applies the role's hourly rate. */
export const ROLES = [
  { id: 11, name: 'Engineer', hourlyRate: 150 },
  { id: 12, name: 'Senior Engineer', hourlyRate: 185 },
  { id: 13, name: 'Project Manager', hourlyRate: 97.5 },
] as const;

export const BILLING_CODES = [
  { id: 21, name: 'Remote Support' },
  { id: 22, name: 'Onsite Support' },
] as const;

/** One project per company with one task; a cost node whose psaProjectCode is the project id claims its labour. */
export const PROJECTS = [
  { id: 301, projectName: 'M365 Migration', projectNumber: 'P20261101.0001', companyID: 1001 },
  { id: 302, projectName: 'Azure Landing Zone', projectNumber: 'P20261101.0002', companyID: 1002 },
  { id: 303, projectName: 'Intune Rollout', projectNumber: 'P20261101.0003', companyID: 1003 },
] as const;

export const TASKS = [
  { id: 3011, projectID: 301, title: 'Mailbox moves' },
  { id: 3021, projectID: 302, title: 'Hub network' },
  { id: 3031, projectID: 303, title: 'Device enrolment' },
] as const;

/** Service tickets (support outside any project). */
export const TICKETS = [
  { id: 401, ticketNumber: 'T20261102.0001', title: 'Mailbox permissions', companyID: 1001, projectID: null },
  { id: 402, ticketNumber: 'T20261102.0002', title: 'VPN outage', companyID: 1002, projectID: null },
  { id: 403, ticketNumber: 'T20261102.0003', title: 'New starter laptop', companyID: 1003, projectID: null },
] as const;

/** Records no generated entry uses, for bad-input tests: a company the hub has no link for, and a project no cost node claims. */
export const STRAY = {
  company: { id: 1099, companyName: 'Tailspin Toys', companyNumber: 'C-1099' },
  ticket: { id: 499, ticketNumber: 'T20261102.0099', title: 'Printer jam', companyID: 1099, projectID: null },
  project: { id: 304, projectName: 'Secret project', projectNumber: 'P20261101.0004', companyID: 1001 },
  task: { id: 3041, projectID: 304, title: 'Scoping' },
} as const;

export const SERVICES = [
  { id: 9001, name: 'Microsoft 365 Business Premium', sku: 'M365-BP', unitPrice: 22 },
  { id: 9002, name: 'Microsoft 365 E3', sku: 'M365-E3', unitPrice: 36 },
  { id: 9003, name: 'Exchange Online (Plan 1)', sku: 'EXO-P1', unitPrice: 4 },
] as const;

/** Recurring Service contracts (contractType 7, status 1 = active), each with one service. */
export const CONTRACTS = [
  { id: 501, companyID: 1001, contractName: 'Managed Microsoft 365', services: [{ id: 7001, serviceID: 9001, units: 20, unitPrice: 22 }] },
  { id: 502, companyID: 1002, contractName: 'Managed Microsoft 365', services: [{ id: 7002, serviceID: 9002, units: 10, unitPrice: 36 }] },
  { id: 503, companyID: 1003, contractName: 'Managed Microsoft 365', services: [{ id: 7003, serviceID: 9001, units: 5, unitPrice: 22 }] },
] as const;

/** The contracts' term in months from January of last year: one ContractServiceUnits row per month. */
export const CONTRACT_MONTHS = 36;

/** A Time & Materials contract (contractType 1) whose own rate for Engineers overrides the role's 150/h. */
export const TM_CONTRACT = { id: 601, companyID: 1002, contractName: 'Fabrikam T&M', rates: [{ id: 1, roleID: 11, contractHourlyRate: 120 }] } as const;
