import type { PartnerCenterCustomer } from '../../connectors/partner-center/types.ts';
import type { VersionedMapping } from '../checked.ts';
import { applyMapping } from '../engine/apply.ts';
import type { RuleProblem } from '../engine/types.ts';
import { mappingObject } from '../objects.ts';

const CUSTOMER = mappingObject('partner-center', 'customer')!;

/**
 * A customer of the partner's list through the connection's customer mapping: the tenant
 * id (lower case, as the hub links tenants) and the name for a customer first met, or
 * the problems naming the version and the rule (a customer with no tenant id is one).
 */
export function mapCustomer(customer: PartnerCenterCustomer, mapping: VersionedMapping): { ok: true; tenantId: string; name: string | null } | { ok: false; problems: RuleProblem[] } {
  const mapped = applyMapping(mapping.checked, CUSTOMER.source, CUSTOMER.target, customer);
  const problems = mapped.problems.map((p) => ({ ...p, reason: `customer mapping v${mapping.version}: ${p.reason}` }));
  const out = (mapped.output.customer ?? {}) as { tenantId?: string | null; name?: string | null };
  if (problems.length === 0 && !out.tenantId) problems.push({ rule: mapping.checked.order.find((r) => r.target === 'customer.tenantId')?.id ?? '(none)', field: 'customer.tenantId', reason: `customer mapping v${mapping.version}: gives no tenant id` });
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, tenantId: out.tenantId!.toLowerCase(), name: out.name ?? null };
}
