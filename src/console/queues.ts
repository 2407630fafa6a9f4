import { Decimal } from '../engine/decimal.ts';
import { query, type ConsoleApi } from './api.ts';
import type { Viewer } from './session.ts';
import { hasRole } from './session.ts';

// The dashboard's open queues: what waits for a person, how much of it, and the money it
// holds back where the API gives amounts. Each queue is declared here; a new queue is one
// more entry whose `read` asks its list route. Counts come from one page of up to 100: more reads as "100+".

export interface QueueFigure {
  count: number;
  more: boolean;
  /** Money at stake per currency (decimal strings), when the queue's items carry amounts. */
  money?: Record<string, string>;
}

export interface QueueDeclaration {
  label: string;
  href: string;
  /** Roles whose keys may read the queue's route. */
  roles: readonly string[];
  read(api: ConsoleApi): Promise<QueueFigure>;
}

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

const LIMIT = 100;
const figureOf = (page: Page<unknown>): QueueFigure => ({ count: page.items.length, more: page.nextCursor !== null });

/** Σ amounts per currency, in decimal arithmetic. */
export function sumByCurrency(items: { amount: string | null; currency: string | null }[]): Record<string, string> {
  const sums = new Map<string, Decimal>();
  for (const { amount, currency } of items) {
    if (amount === null) continue;
    const key = currency ?? '?';
    sums.set(key, (sums.get(key) ?? new Decimal(0)).plus(amount));
  }
  return Object.fromEntries([...sums].map(([c, d]) => [c, d.toString()]));
}

export const QUEUES: QueueDeclaration[] = [
  {
    label: 'Rate card versions awaiting approval',
    href: '/console/rate-cards',
    roles: ['admin', 'finance', 'sales_ops', 'billing_ops', 'auditor'],
    read: async (api) => figureOf(await api.get<Page<unknown>>(`/v1/rate-cards${query({ pending: true, limit: LIMIT })}`)),
  },
  {
    label: 'Quote exceptions',
    href: '/console/quote-exceptions',
    roles: ['admin', 'finance', 'sales_ops', 'billing_ops', 'auditor'],
    read: async (api) => figureOf(await api.get<Page<unknown>>(`/v1/quote-exceptions${query({ status: 'open', limit: LIMIT })}`)),
  },
  {
    label: 'Late usage waiting for a close',
    href: '/console/close',
    roles: ['admin', 'finance', 'billing_ops', 'auditor'],
    read: async (api) => {
      const page = await api.get<Page<{ amountDelta: string | null; currency: string | null }>>(`/v1/late-usage${query({ limit: LIMIT })}`);
      return { ...figureOf(page), money: sumByCurrency(page.items.map((l) => ({ amount: l.amountDelta, currency: l.currency }))) };
    },
  },
  {
    label: 'Open alerts',
    href: '/console/dashboard#alerts',
    roles: ['admin', 'finance', 'sales_ops', 'billing_ops', 'auditor'],
    read: async (api) => figureOf(await api.get<Page<unknown>>(`/v1/alerts${query({ status: 'open', limit: LIMIT })}`)),
  },
  {
    label: 'PSA to-dos (money at stake a month)',
    href: '/console/psa-todos',
    roles: ['admin', 'finance', 'sales_ops', 'billing_ops', 'auditor'],
    read: async (api) => {
      const page = await api.get<Page<{ evidence: { moneyAtStakePerMonth: string | null; currency: string | null } }>>(`/v1/psa-todos${query({ status: 'open', limit: LIMIT })}`);
      return { ...figureOf(page), money: sumByCurrency(page.items.map((t) => ({ amount: t.evidence.moneyAtStakePerMonth, currency: t.evidence.currency }))) };
    },
  },
  {
    label: 'Drift findings (money at stake a month)',
    href: '/console/drift',
    roles: ['admin', 'finance', 'sales_ops', 'billing_ops', 'auditor'],
    read: async (api) => {
      const page = await api.get<Page<{ moneyAtStakePerMonth: string | null; currency: string | null }>>(`/v1/drift-findings${query({ status: 'open', limit: LIMIT })}`);
      return { ...figureOf(page), money: sumByCurrency(page.items.map((f) => ({ amount: f.moneyAtStakePerMonth, currency: f.currency }))) };
    },
  },
  {
    label: 'Anomalies',
    href: '/console/anomalies',
    roles: ['admin', 'finance', 'billing_ops', 'auditor'],
    read: async (api) => {
      const page = await api.get<Page<{ amountAtStake: string; currency: string }>>(`/v1/anomalies${query({ status: 'open', limit: LIMIT })}`);
      return { ...figureOf(page), money: sumByCurrency(page.items.map((a) => ({ amount: a.amountAtStake, currency: a.currency }))) };
    },
  },
];

export const queuesFor = (viewer: Viewer) => QUEUES.filter((q) => hasRole(viewer, q.roles));
