import { describe, expect, it } from 'vitest';
import { assessConsent, autoExtends, expiryAlertDue, type GdapRelationshipFacts } from '../../../src/engine/consent.ts';

// Role definition ids are Microsoft Entra's built-in ones (test/fixtures/vendor/gdap.md).
const DIRECTORY_READERS = '88d8e3e3-8f55-4a1e-953a-9b9898b8876b';
const GLOBAL_READER = 'f2ef992c-3afb-46b9-b7cf-a126ee74c451';
const NOW = new Date('2026-12-07T12:00:00Z');

function rel(over: Partial<GdapRelationshipFacts> = {}): GdapRelationshipFacts {
  return { id: 'r1', status: 'active', endDateTime: new Date('2027-06-01T00:00:00Z'), autoExtendDuration: 'PT0S', assignedRoles: [DIRECTORY_READERS], ...over };
}

describe('assessConsent', () => {
  it('is active when a live relationship assigns every required role', () => {
    const a = assessConsent([rel()], [DIRECTORY_READERS], NOW);
    expect(a).toMatchObject({ state: 'active', blocked: false, relationshipId: 'r1', missingRoles: [] });
    // 2026-12-07T12:00 → 2027-06-01T00:00 is 175.5 days: 176 whole days, rounded up.
    expect(a.daysLeft).toBe(176);
  });

  it('is expiring within 30 days of the end, not blocked; a relationship set to extend itself is not expiring', () => {
    const end = new Date('2027-01-06T12:00:00Z'); // exactly 30 days after NOW
    expect(assessConsent([rel({ endDateTime: end })], [DIRECTORY_READERS], NOW)).toMatchObject({ state: 'expiring', blocked: false, daysLeft: 30 });
    expect(assessConsent([rel({ endDateTime: new Date('2027-01-06T12:00:01Z') })], [DIRECTORY_READERS], NOW)).toMatchObject({ state: 'active', daysLeft: 31 });
    expect(assessConsent([rel({ endDateTime: end, autoExtendDuration: 'P180D' })], [DIRECTORY_READERS], NOW)).toMatchObject({ state: 'active', autoExtends: true });
  });

  it('is expired, and blocked, when no relationship is live: past its end, terminated, or still pending approval', () => {
    for (const r of [rel({ endDateTime: new Date('2026-12-07T11:59:59Z') }), rel({ status: 'terminated' }), rel({ status: 'expired' }), rel({ status: 'approvalPending', endDateTime: null })]) {
      expect(assessConsent([r], [DIRECTORY_READERS], NOW), r.status).toMatchObject({ state: 'expired', blocked: true });
    }
  });

  it('is missing_roles, and blocked, when live relationships lack a required role, naming the roles missing', () => {
    const a = assessConsent([rel({ assignedRoles: [GLOBAL_READER] })], [DIRECTORY_READERS, GLOBAL_READER], NOW);
    expect(a).toMatchObject({ state: 'missing_roles', blocked: true, missingRoles: [DIRECTORY_READERS] });
  });

  it('rests on the live relationship that has every role and lasts longest', () => {
    const a = assessConsent(
      [
        rel({ id: 'short', endDateTime: new Date('2026-12-20T00:00:00Z') }),
        rel({ id: 'long-no-roles', endDateTime: new Date('2028-01-01T00:00:00Z'), assignedRoles: [] }),
        rel({ id: 'long', endDateTime: new Date('2027-12-01T00:00:00Z') }),
        rel({ id: 'old', status: 'terminated' }),
      ],
      [DIRECTORY_READERS],
      NOW,
    );
    expect(a).toMatchObject({ state: 'active', relationshipId: 'long' });
  });

  it('is no_relationship, and blocked, when Graph lists none', () => {
    expect(assessConsent([], [DIRECTORY_READERS], NOW)).toMatchObject({ state: 'no_relationship', blocked: true });
  });
});

describe('expiryAlertDue', () => {
  it('alerts once per threshold reached (30, 7, 1 days), the smallest first seen, never twice', () => {
    expect(expiryAlertDue(31, null)).toBeNull();
    expect(expiryAlertDue(30, null)).toBe(30);
    expect(expiryAlertDue(20, 30)).toBeNull();
    expect(expiryAlertDue(7, 30)).toBe(7);
    expect(expiryAlertDue(5, null)).toBe(7);
    expect(expiryAlertDue(2, 7)).toBeNull();
    expect(expiryAlertDue(1, 7)).toBe(1);
    expect(expiryAlertDue(1, 1)).toBeNull();
    expect(expiryAlertDue(null, null)).toBeNull();
  });
});

describe('autoExtends', () => {
  it("reads Graph's autoExtendDuration: PT0S means no extension, P180D six months", () => {
    expect(autoExtends('PT0S')).toBe(false);
    expect(autoExtends(null)).toBe(false);
    expect(autoExtends('P180D')).toBe(true);
  });
});
