import { Rng, seedFrom } from '../prng.ts';
import { CONTRACT_MONTHS, CONTRACTS, TM_CONTRACT, PROJECTS, RESOURCES, ROLES, SERVICES, TASKS, TICKETS, BILLING_CODES } from './catalog.ts';

export type Json = Record<string, unknown>;

export interface AccountOptions {
  seed?: string;
  /** How many time entries to generate (default 30). */
  timeEntries?: number;
  /** The month the generated entries fall in, `YYYY-MM` (default 2026-11). */
  period?: string;
  now?: () => Date;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const DAY = 86_400_000;

/**
 * The sandbox's mutable state: time entries generated from the seed, then edited,
 * deleted or added by tests (each change stamps `lastModifiedDateTime` later than any
 * before it, as the vendor's clock would), and contracts whose service units change
 * only through ContractServiceAdjustments, as in Autotask.
 */
export class AutotaskAccount {
  readonly entries = new Map<number, Json>();
  readonly contracts = new Map<number, Json>();
  readonly contractServices = new Map<number, Json>();
  /** ContractServiceUnits: one row per service and billing period, split at each adjustment's effective date. */
  readonly units: Json[] = [];
  /** Every adjustment taken (Autotask itself cannot list them: create only). */
  readonly adjustments: Json[] = [];
  /** Values of the tickets' user-defined fields, by ticket id then UDF name; a UDF with no value is null. */
  readonly ticketUdfs = new Map<number, Record<string, string | null>>();
  #latest = 0;
  #nextEntryId: number;
  #nextServiceId = 8000;
  #nextUnitId = 1;
  readonly #now: () => Date;
  /** The contracts run from January of last year, so "today" always falls inside them. */
  readonly #termStart: [number, number];

  constructor(options: AccountOptions = {}) {
    this.#now = options.now ?? (() => new Date());
    this.#termStart = [this.#now().getUTCFullYear() - 1, 1];
    const count = options.timeEntries ?? 30;
    const period = options.period ?? '2026-11';
    const monthStart = Date.parse(`${period}-01T00:00:00Z`);
    for (let i = 1; i <= count; i++) {
      const rng = new Rng(seedFrom(options.seed ?? 'autotask', 'time', i));
      const companyIndex = i % PROJECTS.length;
      const onProject = rng.chance(0.7);
      const role = ROLES[rng.int(0, 1)]!;
      const start = monthStart + ((i % 28) * 24 + 9) * 3_600_000;
      const hours = rng.int(2, 24) / 4;
      const entry = this.#entry(10_000 + i, { companyIndex, onProject, resourceIndex: i % RESOURCES.length, roleId: role.id, start, hours, billable: rng.chance(0.8) });
      const modified = start + 10 * 3_600_000 + i * 1000;
      entry.lastModifiedDateTime = iso(modified);
      this.entries.set(10_000 + i, entry);
      this.#latest = Math.max(this.#latest, modified);
    }
    this.#nextEntryId = 10_001 + count;
    for (const c of CONTRACTS) {
      const [y, m] = this.#termStart;
      const end = Date.UTC(y, m - 1 + CONTRACT_MONTHS, 0);
      this.contracts.set(c.id, {
        id: c.id,
        companyID: c.companyID,
        contractName: c.contractName,
        contractNumber: `CN-${c.id}`,
        contractType: 7,
        status: 1,
        startDate: `${day(Date.UTC(y, m - 1, 1))}T00:00:00`,
        endDate: `${day(end)}T00:00:00`,
        isDefaultContract: true,
      });
      for (const s of c.services) this.#addService(c.id, s.id, s.serviceID, s.unitPrice, s.units);
    }
    const [y, m] = this.#termStart;
    this.contracts.set(TM_CONTRACT.id, { id: TM_CONTRACT.id, companyID: TM_CONTRACT.companyID, contractName: TM_CONTRACT.contractName, contractNumber: `CN-${TM_CONTRACT.id}`, contractType: 1, status: 1, startDate: `${day(Date.UTC(y, m - 1, 1))}T00:00:00`, endDate: `${day(Date.UTC(y, m - 1 + CONTRACT_MONTHS, 0))}T00:00:00`, isDefaultContract: false });
  }

  #entry(id: number, o: { companyIndex: number; onProject: boolean; resourceIndex: number; roleId: number; start: number; hours: number; billable: boolean }): Json {
    const task = TASKS[o.companyIndex]!;
    const ticket = TICKETS[o.companyIndex]!;
    return {
      id,
      resourceID: RESOURCES[o.resourceIndex]!.id,
      ticketID: o.onProject ? null : ticket.id,
      taskID: o.onProject ? task.id : null,
      roleID: o.roleId,
      billingCodeID: BILLING_CODES[o.resourceIndex % BILLING_CODES.length]!.id,
      contractID: null,
      dateWorked: `${day(o.start)}T00:00:00`,
      startDateTime: iso(o.start),
      endDateTime: iso(o.start + o.hours * 3_600_000),
      hoursWorked: o.hours,
      hoursToBill: o.billable ? o.hours : 0,
      offsetHours: 0,
      isNonBillable: !o.billable,
      showOnInvoice: o.billable,
      timeEntryType: o.onProject ? 6 : 2,
      summaryNotes: `Work on ${o.onProject ? task.title : ticket.title}`,
      createDateTime: iso(o.start),
      lastModifiedDateTime: iso(o.start),
    };
  }

  /** A timestamp later than every one handed out before, and not before the clock. */
  #stamp(): string {
    this.#latest = Math.max(this.#now().getTime(), this.#latest + 1000);
    return iso(this.#latest);
  }

  /** Sets user-defined field values of a ticket, behind the hub's back (a ticket edit stamps no time entry). */
  setTicketUdfs(ticketId: number, values: Record<string, string | null>): Record<string, string | null> {
    const udfs = { ...this.ticketUdfs.get(ticketId), ...values };
    this.ticketUdfs.set(ticketId, udfs);
    return udfs;
  }

  /** Change fields of an entry (as a PATCH would), stamping lastModifiedDateTime. */
  editTimeEntry(id: number, changes: Json): Json | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    Object.assign(entry, changes, { lastModifiedDateTime: this.#stamp() });
    return entry;
  }

  deleteTimeEntry(id: number): boolean {
    return this.entries.delete(id);
  }

  /**
   * A new entry for a company (index into the catalogue), on its project's task or its
   * ticket, stamped now; raw fields override anything (for bad-input tests).
   */
  addTimeEntry(fields: Json & { company?: number; hours?: number; billable?: boolean; onProject?: boolean; roleID?: number } = {}): Json {
    const id = this.#nextEntryId++;
    const { company = 0, hours = 1, billable = true, onProject = true, roleID = ROLES[0].id, ...raw } = fields;
    const entry = this.#entry(id, { companyIndex: company, onProject, resourceIndex: 0, roleId: roleID, start: Date.parse('2026-11-15T09:00:00Z'), hours, billable });
    Object.assign(entry, raw, { lastModifiedDateTime: this.#stamp() });
    this.entries.set(id, entry);
    return entry;
  }

  #addService(contractId: number, id: number, serviceId: number, unitPrice: number, units: number): Json {
    const service = { id, contractID: contractId, serviceID: serviceId, unitPrice, unitCost: 0, adjustedPrice: null, invoiceDescription: SERVICES.find((s) => s.id === serviceId)?.name ?? null, quoteItemID: null };
    this.contractServices.set(id, service);
    const [y, m] = this.#termStart;
    for (let k = 0; k < CONTRACT_MONTHS; k++) {
      const from = Date.UTC(y, m - 1 + k, 1);
      const to = Date.UTC(y, m + k, 0);
      this.units.push({ id: this.#nextUnitId++, contractID: contractId, contractServiceID: id, serviceID: serviceId, startDate: `${day(from)}T00:00:00`, endDate: `${day(to)}T00:00:00`, units, price: unitPrice, cost: 0, approveAndPostDate: null });
    }
    return service;
  }

  /**
   * `POST /ContractServiceAdjustments`: adds `unitChange` units from `effectiveDate` on,
   * splitting the billing period it falls in; creates the contract service when the
   * contract has none for the service. Returns the reason when refused.
   */
  adjust(body: Json): { itemId: number } | string {
    const contract = this.contracts.get(Number(body.contractID));
    if (!contract) return `contractID ${String(body.contractID)} does not exist`;
    if (contract.contractType !== 7) return 'services can only be adjusted on a Recurring Service contract';
    const serviceId = Number(body.serviceID);
    if (!SERVICES.some((s) => s.id === serviceId)) return `serviceID ${String(body.serviceID)} does not exist`;
    const unitChange = Number(body.unitChange);
    if (!Number.isInteger(unitChange)) return 'unitChange must be an integer';
    const effective = typeof body.effectiveDate === 'string' ? body.effectiveDate.slice(0, 10) : '';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(effective)) return 'effectiveDate is required';
    let service = body.contractServiceID === undefined || body.contractServiceID === null ? [...this.contractServices.values()].find((s) => s.contractID === contract.id && s.serviceID === serviceId) : this.contractServices.get(Number(body.contractServiceID));
    if (!service) {
      const catalogue = SERVICES.find((s) => s.id === serviceId)!;
      service = this.#addService(contract.id as number, this.#nextServiceId++, serviceId, body.adjustedUnitPrice === undefined ? catalogue.unitPrice : Number(body.adjustedUnitPrice), 0);
    }
    const rows = this.units.filter((u) => u.contractServiceID === service.id);
    const inside = rows.find((u) => String(u.startDate).slice(0, 10) < effective && String(u.endDate).slice(0, 10) >= effective);
    if (inside) {
      const tail = { ...inside, id: this.#nextUnitId++, startDate: `${effective}T00:00:00` };
      inside.endDate = `${day(Date.parse(`${effective}T00:00:00Z`) - DAY)}T00:00:00`;
      this.units.push(tail);
      rows.push(tail);
    }
    const later = rows.filter((u) => String(u.startDate).slice(0, 10) >= effective);
    if (later.some((u) => Number(u.units) + unitChange < 0)) return 'unitChange would leave fewer than 0 units';
    for (const u of later) {
      u.units = Number(u.units) + unitChange;
      if (body.adjustedUnitPrice !== undefined) u.price = Number(body.adjustedUnitPrice);
    }
    const itemId = this.adjustments.length + 1;
    this.adjustments.push({ id: itemId, ...body, contractServiceID: service.id });
    return { itemId };
  }

  /** `PATCH /ContractServices`: only adjustedPrice and invoiceDescription may change. */
  updateContractService(body: Json): { itemId: number } | string {
    const service = this.contractServices.get(Number(body.id));
    if (!service) return `ContractServices ${String(body.id)} does not exist`;
    for (const key of Object.keys(body)) if (!['id', 'adjustedPrice', 'invoiceDescription'].includes(key)) return `${key} is read-only on update`;
    Object.assign(service, body);
    return { itemId: service.id as number };
  }

  /** The units a contract service bills on a day (from ContractServiceUnits). */
  unitsOn(contractServiceId: number, date: string): number | undefined {
    const row = this.units.find((u) => u.contractServiceID === contractServiceId && String(u.startDate).slice(0, 10) <= date && String(u.endDate).slice(0, 10) >= date);
    return row === undefined ? undefined : Number(row.units);
  }
}
