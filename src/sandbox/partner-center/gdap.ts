/**
 * Granular delegated admin (GDAP) relationships between the partner and each customer,
 * as Microsoft Graph lists them: one active relationship per customer, two years long,
 * ending on a different day for each, with one access assignment (a security group) that
 * gives the partner the relationship's roles. Tests and the demo change a customer's
 * relationship through `override` (the control API); revoking consent terminates it.
 */
import { Rng, seedFrom } from '../prng.ts';
import type { Customer } from './interfaces.ts';

/** Built-in Microsoft Entra role definition ids the sandbox's relationships grant. */
export const GDAP_ROLES = {
  directoryReaders: '88d8e3e3-8f55-4a1e-953a-9b9898b8876b',
  globalReader: 'f2ef992c-3afb-46b9-b7cf-a126ee74c451',
} as const;

const DAY_MS = 86_400_000;
const DURATION_DAYS = 730;

export interface GdapAssignment {
  id: string;
  status: string;
  createdMs: number;
  modifiedMs: number;
  securityGroupId: string;
  roles: string[];
}

export interface GdapRelationship {
  id: string;
  displayName: string;
  duration: string;
  customerTenantId: string;
  customerName: string;
  roles: string[];
  status: string;
  autoExtendDuration: string;
  createdMs: number;
  modifiedMs: number;
  activatedMs: number | null;
  endMs: number | null;
  assignments: GdapAssignment[];
}

/** What a test or the demo may change about a customer's relationship. */
export interface GdapOverride {
  status?: string;
  endDateTime?: string;
  autoExtendDuration?: string;
  /** Roles the access assignment gives (the relationship keeps its own list). */
  assignedRoles?: string[];
  /** The customer has no relationship at all. */
  absent?: boolean;
}

export class GdapRegistry {
  readonly #base: Map<string, GdapRelationship>;
  readonly #overrides = new Map<string, GdapOverride>();

  constructor(seed: number | string, partnerTenantId: string, customers: readonly Customer[], startMs: number) {
    this.#base = new Map(
      customers.map((c) => {
        const rng = new Rng(seedFrom(seed, 'gdap', c.index));
        // Activated 100..599 days before the sandbox's start: 131..630 days left on a 730-day relationship.
        const activatedMs = Math.floor(startMs / DAY_MS) * DAY_MS - (100 + ((c.index * 83) % 500)) * DAY_MS + rng.int(0, 86_399) * 1000;
        const roles = [GDAP_ROLES.directoryReaders, GDAP_ROLES.globalReader];
        const relationship: GdapRelationship = {
          id: `${rng.uuid()}-${partnerTenantId}`,
          displayName: `${c.companyName} billing`.slice(0, 50),
          duration: `P${DURATION_DAYS}D`,
          customerTenantId: c.id,
          customerName: c.companyName,
          roles,
          status: 'active',
          autoExtendDuration: 'PT0S',
          createdMs: activatedMs - 3_600_000,
          modifiedMs: activatedMs,
          activatedMs,
          endMs: activatedMs + DURATION_DAYS * DAY_MS,
          assignments: [{ id: rng.uuid(), status: 'active', createdMs: activatedMs, modifiedMs: activatedMs, securityGroupId: rng.uuid(), roles }],
        };
        return [c.id, relationship];
      }),
    );
  }

  override(customerId: string, change: GdapOverride): void {
    this.#overrides.set(customerId, { ...this.#overrides.get(customerId), ...change });
  }

  /** Every relationship as of `nowMs`: overrides applied, revoked customers' terminated, ended ones expired. */
  list(nowMs: number, revoked: ReadonlySet<string>): GdapRelationship[] {
    const out: GdapRelationship[] = [];
    for (const [customerId, base] of this.#base) {
      const o = this.#overrides.get(customerId) ?? {};
      if (o.absent) continue;
      const endMs = o.endDateTime ? Date.parse(o.endDateTime) : base.endMs;
      // Revoked consent terminates the relationship, unless a test pinned its status (Graph and
      // Partner Center disagreeing for a while, as replication lets them).
      let status = o.status ?? (revoked.has(customerId) ? 'terminated' : base.status);
      if (status === 'active' && endMs !== null && endMs <= nowMs) status = 'expired';
      const assignments = base.assignments.map((a) => (o.assignedRoles ? { ...a, roles: [...o.assignedRoles] } : a));
      out.push({ ...base, status, endMs, autoExtendDuration: o.autoExtendDuration ?? base.autoExtendDuration, assignments });
    }
    return out;
  }
}
