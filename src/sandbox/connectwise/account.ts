import { Rng, seedFrom } from '../prng.ts';
import { AGREEMENTS, COMPANIES, MEMBERS, PRODUCTS, PROJECTS, TICKETS, WORK_ROLES, WORK_TYPES } from './catalog.ts';

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
const ref = (o: { id: number; identifier?: string; name?: string }) => ({ id: o.id, ...(o.identifier ? { identifier: o.identifier } : {}), ...(o.name ? { name: o.name } : {}) });

/**
 * The sandbox's mutable state: time entries generated from the seed, then edited,
 * deleted or added by tests (each change stamps `_info.lastUpdated` later than any
 * before it, as the vendor's clock would), and agreements whose additions the hub writes.
 */
export class ConnectWiseAccount {
  readonly entries = new Map<number, Json>();
  readonly agreements = new Map<number, { agreement: Json; additions: Map<number, Json> }>();
  #latest = 0;
  #nextEntryId: number;
  #nextAdditionId = 8000;
  readonly #now: () => Date;

  constructor(options: AccountOptions = {}) {
    this.#now = options.now ?? (() => new Date());
    const count = options.timeEntries ?? 30;
    const period = options.period ?? '2026-11';
    const monthStart = Date.parse(`${period}-01T00:00:00Z`);
    for (let i = 1; i <= count; i++) {
      const rng = new Rng(seedFrom(options.seed ?? 'connectwise', 'time', i));
      const company = COMPANIES[i % COMPANIES.length]!;
      const onProject = rng.chance(0.7);
      const role = WORK_ROLES[rng.int(0, WORK_ROLES.length - 1)]!;
      const start = monthStart + ((i % 28) * 24 + 9) * 3_600_000;
      const hours = rng.int(2, 24) / 4;
      const entry = this.#entry(10_000 + i, {
        companyId: company.id,
        onProject,
        memberIndex: i % MEMBERS.length,
        role,
        workTypeIndex: rng.int(0, WORK_TYPES.length - 1),
        start,
        hours,
        billable: rng.chance(0.8),
        // Generated entries carry their own rate, as ConnectWise defaults one on create.
        hourlyRate: role.hourlyRate,
      });
      (entry._info as Json).lastUpdated = iso(start + 10 * 3_600_000 + i * 1000);
      this.entries.set(10_000 + i, entry);
      this.#latest = Math.max(this.#latest, start + 10 * 3_600_000 + i * 1000);
    }
    this.#nextEntryId = 10_001 + count;
    for (const a of AGREEMENTS) {
      const company = COMPANIES.find((c) => c.id === a.companyId)!;
      const additions = new Map<number, Json>();
      for (const add of a.additions) {
        const product = PRODUCTS.find((p) => p.id === add.productId)!;
        additions.set(add.id, {
          id: add.id,
          agreementId: a.id,
          product: { id: product.id, identifier: product.identifier },
          quantity: add.quantity,
          lessIncluded: 0,
          unitPrice: add.unitPrice,
          billCustomer: 'Billable',
          effectiveDate: '2026-01-01T00:00:00Z',
          cancelledDate: null,
          invoiceDescription: product.description,
          _info: { lastUpdated: '2026-01-01T00:00:00Z', updatedBy: 'setup' },
        });
      }
      this.agreements.set(a.id, {
        agreement: { id: a.id, name: a.name, type: { id: 1, name: 'Managed Services' }, company: ref(company), agreementStatus: 'Active', cancelledFlag: false, workRole: ref(WORK_ROLES[1]), _info: { lastUpdated: '2026-01-01T00:00:00Z' } },
        additions,
      });
    }
  }

  #entry(
    id: number,
    o: { companyId: number; onProject: boolean; memberIndex: number; role: { id: number; name: string }; workTypeIndex: number; start: number; hours: number; billable: boolean; hourlyRate: number | null },
  ): Json {
    const company = COMPANIES.find((c) => c.id === o.companyId)!;
    const project = PROJECTS.find((p) => p.companyId === o.companyId)!;
    const ticket = TICKETS.find((t) => t.companyId === o.companyId)!;
    return {
      id,
      company: ref(company),
      chargeToId: o.onProject ? project.id : ticket.id,
      chargeToType: o.onProject ? 'ProjectTicket' : 'ServiceTicket',
      member: ref(MEMBERS[o.memberIndex]!),
      timeStart: iso(o.start),
      timeEnd: iso(o.start + o.hours * 3_600_000),
      actualHours: o.hours,
      hoursBilled: o.billable ? o.hours : 0,
      billableOption: o.billable ? 'Billable' : 'DoNotBill',
      hourlyRate: o.hourlyRate,
      workType: ref(WORK_TYPES[o.workTypeIndex]!),
      workRole: ref(o.role),
      ticket: { id: ticket.id, summary: ticket.summary },
      ...(o.onProject ? { project: ref(project) } : {}),
      notes: `Work for ${company.name}`,
      status: 'Open',
      _info: { lastUpdated: iso(o.start), updatedBy: MEMBERS[o.memberIndex]!.identifier },
    };
  }

  /** A timestamp later than every one handed out before, and not before the clock. */
  #stamp(): string {
    this.#latest = Math.max(this.#now().getTime(), this.#latest + 1000);
    return iso(this.#latest);
  }

  /** Change fields of an entry (top-level, as a PATCH would), stamping lastUpdated. */
  editTimeEntry(id: number, changes: Json): Json | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    Object.assign(entry, changes, { _info: { ...(entry._info as Json), lastUpdated: this.#stamp() } });
    return entry;
  }

  deleteTimeEntry(id: number): boolean {
    return this.entries.delete(id);
  }

  /** A new entry on a company's project (or raw fields for bad-input tests), stamped now. */
  addTimeEntry(fields: Json & { companyId?: number; hours?: number; billable?: boolean; hourlyRate?: number | null; onProject?: boolean }): Json {
    const id = this.#nextEntryId++;
    const { companyId = 250, hours = 1, billable = true, hourlyRate = 150, onProject = true, ...raw } = fields;
    const entry = this.#entry(id, { companyId, onProject, memberIndex: 0, role: WORK_ROLES[0], workTypeIndex: 0, start: Date.parse('2026-11-15T09:00:00Z'), hours, billable, hourlyRate });
    Object.assign(entry, raw);
    (entry._info as Json).lastUpdated = this.#stamp();
    this.entries.set(id, entry);
    return entry;
  }

  /** Replace fields of an addition (a PATCH), stamping lastUpdated. */
  patchAddition(agreementId: number, additionId: number, changes: Json): Json | undefined {
    const addition = this.agreements.get(agreementId)?.additions.get(additionId);
    if (!addition) return undefined;
    Object.assign(addition, changes, { _info: { ...(addition._info as Json), lastUpdated: this.#stamp() } });
    return addition;
  }

  addAddition(agreementId: number, body: Json): Json | undefined {
    const agreement = this.agreements.get(agreementId);
    if (!agreement) return undefined;
    const id = this.#nextAdditionId++;
    const addition = { lessIncluded: 0, billCustomer: 'Billable', cancelledDate: null, ...body, id, agreementId, _info: { lastUpdated: this.#stamp(), updatedBy: 'api' } };
    agreement.additions.set(id, addition);
    return addition;
  }

  workRole(id: number): Json | undefined {
    const role = WORK_ROLES.find((r) => r.id === id);
    return role ? { ...role } : undefined;
  }
}
