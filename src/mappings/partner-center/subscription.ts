import type { PartnerCenterSubscription } from '../../connectors/partner-center/types.ts';
import { versionedMapping, type VersionedMapping } from '../checked.ts';
import { applyMapping } from '../engine/apply.ts';
import type { RuleProblem } from '../engine/types.ts';
import { mappingObject } from '../objects.ts';

const SUBSCRIPTION = mappingObject('partner-center', 'subscription')!;

export const BUILT_IN_SUBSCRIPTION_MAPPING: VersionedMapping = versionedMapping(SUBSCRIPTION, 0, SUBSCRIPTION.defaultRules);

/** A subscription's fields as the hub keeps them (see PC_SUBSCRIPTION_TARGET). */
export interface SubscriptionFields {
  offerId: string | null;
  offerName: string | null;
  friendlyName: string | null;
  skuId: string | null;
  quantity: number;
  unitType: string | null;
  status: string;
  billingType: 'license' | 'usage' | 'none';
  billingCycle: string | null;
  termDuration: string | null;
  autoRenew: boolean | null;
  isTrial: boolean;
  creationDate: string | null;
  effectiveStartDate: string | null;
  commitmentEndDate: string | null;
  orderId: string | null;
}

/**
 * A Partner Center subscription through the connection's subscription mapping, or the
 * problems of the rules that could not run on it, each naming the version and the rule.
 */
export function mapSubscription(sub: PartnerCenterSubscription, mapping: VersionedMapping = BUILT_IN_SUBSCRIPTION_MAPPING): { ok: true; fields: SubscriptionFields } | { ok: false; problems: RuleProblem[] } {
  const mapped = applyMapping(mapping.checked, SUBSCRIPTION.source, SUBSCRIPTION.target, sub);
  if (mapped.problems.length > 0) return { ok: false, problems: mapped.problems.map((p) => ({ ...p, reason: `subscription mapping v${mapping.version}: ${p.reason}` })) };
  const out = (mapped.output.subscription ?? {}) as Record<string, unknown>;
  const str = (key: string) => (typeof out[key] === 'string' ? (out[key] as string) : null);
  const billingType = str('billingType');
  return {
    ok: true,
    fields: {
      offerId: str('offerId'),
      offerName: str('offerName'),
      friendlyName: str('friendlyName'),
      skuId: str('skuId'),
      // The mapping's integer, as decimal text; seat counts fit a JS number.
      quantity: out.quantity === undefined || out.quantity === null ? 0 : Number(out.quantity),
      unitType: str('unitType'),
      status: str('status') ?? 'active',
      billingType: billingType === 'license' || billingType === 'usage' ? billingType : 'none',
      billingCycle: str('billingCycle'),
      termDuration: str('termDuration'),
      autoRenew: typeof out.autoRenew === 'boolean' ? out.autoRenew : null,
      isTrial: out.isTrial === true,
      creationDate: str('creationDate'),
      effectiveStartDate: str('effectiveStartDate'),
      commitmentEndDate: str('commitmentEndDate'),
      orderId: str('orderId'),
    },
  };
}
