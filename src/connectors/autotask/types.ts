// The fields of Autotask REST entities the hub reads (JSON is camelCase). Read with
// exactNumbers, so every number, ids included, arrives as its exact source text.

type Num = number | string;

export interface ZoneInformation {
  zoneName: string;
  /** e.g. https://webservices5.autotask.net/ATServicesRest/ (no version). */
  url: string;
  webUrl: string;
  ci: number;
}

export interface PageDetails {
  count: number;
  requestCount: number;
  prevPageUrl: string | null;
  nextPageUrl: string | null;
}

export interface QueryResult<T> {
  items: T[];
  pageDetails: PageDetails;
}

export interface TimeEntry {
  id: Num;
  resourceID: Num | null;
  ticketID: Num | null;
  taskID: Num | null;
  roleID: Num | null;
  billingCodeID: Num | null;
  contractID: Num | null;
  dateWorked: string | null;
  startDateTime: string | null;
  hoursWorked: Num | null;
  hoursToBill: Num | null;
  isNonBillable: boolean | null;
  summaryNotes?: string | null;
  createDateTime?: string | null;
  lastModifiedDateTime: string | null;
}

export interface Ticket {
  id: Num;
  companyID: Num | null;
  projectID: Num | null;
  ticketNumber: string;
  title: string;
  /** The ticket's user-defined fields, each `{ name, value }` (time entries carry none of their own). */
  userDefinedFields?: { name: string; value: string | null }[];
}

export interface Task {
  id: Num;
  projectID: Num;
  title: string;
}

export interface Project {
  id: Num;
  companyID: Num;
  projectName: string;
  projectNumber: string | null;
}

export interface Role {
  id: Num;
  name: string;
  hourlyRate: Num | null;
}

/** A contract's own hourly rate for a role (Time & Materials, Fixed Price and Retainer contracts only). */
export interface ContractRate {
  id: Num;
  contractID: Num;
  roleID: Num;
  contractHourlyRate: Num | null;
}

export interface Resource {
  id: Num;
  userName: string;
  firstName: string;
  lastName: string;
}

export interface Contract {
  id: Num;
  companyID: Num;
  contractName: string;
  contractType: Num;
  status: Num;
  startDate: string;
  endDate: string;
}

export interface ContractService {
  id: Num;
  contractID: Num;
  serviceID: Num;
  unitPrice: Num | null;
  adjustedPrice: Num | null;
}

export interface ContractServiceUnit {
  id: Num;
  contractID: Num;
  contractServiceID: Num;
  serviceID: Num;
  startDate: string;
  endDate: string;
  units: Num;
  price: Num | null;
}

/** What `POST /ContractServiceAdjustments` takes: a signed unit change from an effective date. */
export interface ContractServiceAdjustment {
  contractID: number;
  contractServiceID?: number;
  serviceID: number;
  effectiveDate: string;
  unitChange: number;
  adjustedUnitPrice?: string;
}
