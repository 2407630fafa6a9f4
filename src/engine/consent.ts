// GDAP consent review: from a customer's delegated admin relationships (Microsoft Graph
// `delegatedAdminRelationships` with their `accessAssignments`) to one verdict the hub acts
// on. Pure: the caller loads the relationships and records the verdict.

/** A relationship as the hub stores it from Graph. */
export interface GdapRelationshipFacts {
  id: string;
  /** Graph `status`: created, approvalPending, approved, activating, active, expiring, expired, terminationRequested, terminating, terminated. */
  status: string;
  /** Graph `endDateTime` (activation + duration); null until the relationship is active. */
  endDateTime: Date | null;
  /** Graph `autoExtendDuration`: `PT0S` (or null) = no automatic extension. */
  autoExtendDuration: string | null;
  /** Role definition ids active access assignments give the partner in the customer's tenant. */
  assignedRoles: readonly string[];
}

/**
 * - active: a live relationship grants every role billing needs
 * - expiring: as active, ending within 30 days and not set to extend itself
 * - expired: relationships exist, none live (ended, terminated, pending approval)
 * - missing_roles: live, but no relationship assigns every role billing needs
 * - no_relationship: Graph lists none for the customer
 */
export type ConsentState = 'active' | 'expiring' | 'expired' | 'missing_roles' | 'no_relationship';

/** Days before the end of a relationship at which the hub alerts, as Microsoft e-mails partners. */
export const EXPIRY_ALERT_DAYS = [30, 7, 1] as const;

export interface ConsentAssessment {
  state: ConsentState;
  /** Syncing this customer would fail or act without the roles it needs: skip it. */
  blocked: boolean;
  /** The relationship the verdict rests on (the live one lasting longest), if any. */
  relationshipId: string | null;
  expiresAt: Date | null;
  /** Whole days left, rounded up (ends in 29.5 days → 30). */
  daysLeft: number | null;
  autoExtends: boolean;
  missingRoles: string[];
  reason: string;
}

const DAY_MS = 86_400_000;

/** Whether Microsoft extends the relationship by itself at its end. */
export function autoExtends(duration: string | null): boolean {
  return duration !== null && duration !== '' && !/^P(T0S|0D)$/i.test(duration);
}

/**
 * The customer's consent as of `now`, given its relationships and the roles billing needs.
 *
 * @example
 * assessConsent([{ id: 'r1', status: 'active', endDateTime: new Date('2026-12-17T00:00:00Z'), autoExtendDuration: 'PT0S', assignedRoles: [READER] }], [READER], new Date('2026-12-10T00:00:00Z'))
 * // { state: 'expiring', daysLeft: 7, blocked: false, ... }
 */
export function assessConsent(relationships: readonly GdapRelationshipFacts[], requiredRoles: readonly string[], now: Date): ConsentAssessment {
  const none = { relationshipId: null, expiresAt: null, daysLeft: null, autoExtends: false, missingRoles: [] as string[] };
  if (relationships.length === 0) {
    return { ...none, state: 'no_relationship', blocked: true, reason: 'Microsoft Graph lists no delegated admin (GDAP) relationship with this customer' };
  }
  const live = relationships.filter((r) => r.status === 'active' && r.endDateTime !== null && r.endDateTime.getTime() > now.getTime());
  if (live.length === 0) {
    const latest = [...relationships].sort((a, b) => (b.endDateTime?.getTime() ?? 0) - (a.endDateTime?.getTime() ?? 0))[0]!;
    const ended = latest.endDateTime ? ` (ended ${latest.endDateTime.toISOString()})` : '';
    return {
      ...none,
      relationshipId: latest.id,
      expiresAt: latest.endDateTime,
      state: 'expired',
      blocked: true,
      reason: `no active GDAP relationship: the latest is ${latest.status}${ended}`,
    };
  }
  const missingFrom = (r: GdapRelationshipFacts) => requiredRoles.filter((role) => !r.assignedRoles.includes(role));
  const sufficient = live.filter((r) => missingFrom(r).length === 0).sort((a, b) => b.endDateTime!.getTime() - a.endDateTime!.getTime());
  if (sufficient.length === 0) {
    const assigned = new Set(live.flatMap((r) => r.assignedRoles));
    const missingRoles = requiredRoles.filter((role) => !assigned.has(role));
    const best = [...live].sort((a, b) => missingFrom(a).length - missingFrom(b).length)[0]!;
    return {
      ...none,
      relationshipId: best.id,
      expiresAt: best.endDateTime,
      daysLeft: daysLeft(best.endDateTime!, now),
      missingRoles: missingRoles.length > 0 ? missingRoles : missingFrom(best),
      state: 'missing_roles',
      blocked: true,
      reason: 'no active GDAP relationship assigns every role billing needs (see missingRoles)',
    };
  }
  const chosen = sufficient[0]!;
  const left = daysLeft(chosen.endDateTime!, now);
  const extends_ = autoExtends(chosen.autoExtendDuration);
  const expiring = !extends_ && left <= EXPIRY_ALERT_DAYS[0];
  return {
    state: expiring ? 'expiring' : 'active',
    blocked: false,
    relationshipId: chosen.id,
    expiresAt: chosen.endDateTime,
    daysLeft: left,
    autoExtends: extends_,
    missingRoles: [],
    reason: expiring ? `the GDAP relationship ends in ${left} day${left === 1 ? '' : 's'} and is not set to extend itself` : 'an active GDAP relationship grants every role billing needs',
  };
}

export function daysLeft(end: Date, now: Date): number {
  return Math.ceil((end.getTime() - now.getTime()) / DAY_MS);
}

/**
 * The expiry alert to raise now, if any: the smallest threshold (30, 7, 1 days) reached
 * and not alerted before for this end date. A first look at 5 days left alerts once (7), not twice.
 */
export function expiryAlertDue(daysLeftNow: number | null, alreadyAlerted: number | null): number | null {
  if (daysLeftNow === null) return null;
  const reached = EXPIRY_ALERT_DAYS.filter((t) => daysLeftNow <= t);
  if (reached.length === 0) return null;
  const smallest = Math.min(...reached);
  return alreadyAlerted === null || smallest < alreadyAlerted ? smallest : null;
}
