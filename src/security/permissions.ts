import type { Role } from './api-keys.ts';

/**
 * Who may do what, for the governance actions, in one place: the routes take their roles
 * from here and the auth plugin enforces them before any handler runs. Approval rules that
 * depend on the record (not the requester's own key) are checked by the handler that
 * decides, and again by the database's four-eyes constraint.
 *
 * @example r.post('/v1/invoice-adjustments/:id/approve', { config: { auth: { roles: rolesFor('adjustment.approve') } } }, …)
 */
export const PERMISSIONS = {
  /** Ask for a manual credit or write-off against an issued invoice. */
  'adjustment.request': ['admin', 'finance', 'billing_ops'],
  'adjustment.read': ['admin', 'finance', 'billing_ops', 'auditor'],
  /** Approve or reject an adjustment above the threshold: finance, and never the key that asked. */
  'adjustment.decide': ['finance'],
  'adjustment.threshold.read': ['admin', 'finance', 'auditor'],
  'adjustment.threshold.write': ['admin'],
  /** E-mail an issued invoice (again) to the customer's billing contact. */
  'invoice.deliver': ['admin', 'finance', 'billing_ops'],
  'invoice.delivery.read': ['admin', 'finance', 'billing_ops', 'auditor'],
  'anomaly.read': ['admin', 'finance', 'billing_ops', 'auditor'],
  /** Acknowledge or resolve an anomaly, with a reason. */
  'anomaly.triage': ['admin', 'finance', 'billing_ops'],
  'anomaly.thresholds.write': ['admin', 'finance'],
  /** Erase a customer's personal data (GDPR), keeping its financial records. */
  'customer.erase': ['admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function rolesFor(permission: Permission): Role[] {
  return [...PERMISSIONS[permission]];
}
