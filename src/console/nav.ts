import type { Viewer } from './session.ts';
import { hasRole, isClient } from './session.ts';

// The console's menu: one entry per page, with the roles the page's API calls admit (the
// API refuses the others whatever the menu shows; the menu only spares them a dead end).
// A new page adds its entry here and its routes in a module of pages/, registered in plugin.ts.

export interface NavEntry {
  href: string;
  label: string;
  /** Staff roles that see the entry; portal keys see the `client` entries instead. */
  roles: readonly string[];
}

const STAFF = ['admin', 'finance', 'sales_ops', 'billing_ops', 'auditor'] as const;

export const STAFF_NAV: NavEntry[] = [
  { href: '/console/dashboard', label: 'Dashboard', roles: STAFF },
  { href: '/console/customers', label: 'Customers', roles: STAFF },
  { href: '/console/close', label: 'Close a month', roles: ['admin', 'finance', 'billing_ops', 'auditor'] },
  { href: '/console/rate-cards', label: 'Rate card approvals', roles: STAFF },
  { href: '/console/quote-exceptions', label: 'Quote exceptions', roles: STAFF },
  { href: '/console/drift', label: 'Drift findings', roles: STAFF },
  { href: '/console/psa-todos', label: 'PSA to-dos', roles: STAFF },
  { href: '/console/anomalies', label: 'Anomalies', roles: ['admin', 'finance', 'billing_ops', 'auditor'] },
  { href: '/console/mappings', label: 'Field mappings', roles: ['admin', 'billing_ops', 'auditor'] },
];

export function navFor(viewer: Viewer): { href: string; label: string }[] {
  if (isClient(viewer)) {
    const base = `/console/customers/${viewer.customerId}`;
    return [
      { href: base, label: 'Subscriptions' },
      { href: `${base}/invoices`, label: 'Invoices' },
      { href: `${base}/usage`, label: 'Usage' },
    ];
  }
  return STAFF_NAV.filter((entry) => hasRole(viewer, entry.roles));
}
