// ConnectWise record shapes the hub reads and writes (a subset of the vendor's model).
// Numbers arrive as their exact source text (the client parses with exactNumbers).

export interface Reference {
  id: number | string;
  name?: string;
  identifier?: string;
}

export interface Info {
  lastUpdated?: string;
  updatedBy?: string;
}

export interface TimeEntry {
  id: number | string;
  company?: Reference | null;
  chargeToId?: number | string | null;
  chargeToType?: 'ServiceTicket' | 'ProjectTicket' | 'ChargeCode' | 'Activity' | null;
  member?: Reference | null;
  timeStart: string;
  timeEnd?: string | null;
  actualHours?: number | string | null;
  hoursBilled?: number | string | null;
  billableOption?: 'Billable' | 'DoNotBill' | 'NoCharge' | 'NoDefault' | null;
  hourlyRate?: number | string | null;
  agreement?: Reference | null;
  workType?: Reference | null;
  workRole?: Reference | null;
  ticket?: Reference | null;
  project?: Reference | null;
  notes?: string | null;
  _info?: Info;
}

export interface Agreement {
  id: number | string;
  name: string;
  company: Reference;
  agreementStatus?: string;
  cancelledFlag?: boolean;
  /** The agreement's default work role: its rate prices time the entry and its own role leave unpriced. */
  workRole?: Reference | null;
  _info?: Info;
}

export interface AgreementAddition {
  id: number | string;
  agreementId?: number | string;
  product: Reference;
  quantity: number | string;
  unitPrice?: number | string | null;
  billCustomer: 'Billable' | 'DoNotBill' | 'NoCharge';
  effectiveDate?: string | null;
  cancelledDate?: string | null;
  _info?: Info;
}

export interface WorkRole {
  id: number | string;
  name: string;
  hourlyRate?: number | string | null;
}

/** One operation of ConnectWise's PATCH body. */
export interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}
