import { VendorAuthError } from '../http/errors.ts';
import type { VendorCallErrorInit } from '../http/errors.ts';

/**
 * Partner Center answered 403 on a call scoped to one customer: the partner no longer
 * holds a (GDAP) relationship that covers it. The customer's billing carries on at
 * Microsoft; the hub should mark the consent lapsed and tell someone, not retry.
 */
export class ConsentLapsedError extends VendorAuthError {
  readonly customerId: string;

  constructor(customerId: string, init: Omit<VendorCallErrorInit, 'reason' | 'retryable' | 'message'>) {
    super({
      ...init,
      message: `${init.vendor} ${init.call} failed: HTTP 403 for customer ${customerId}; the delegated admin relationship (consent) has likely lapsed`,
    });
    this.name = 'ConsentLapsedError';
    this.customerId = customerId;
  }
}

export function isConsentLapsedError(value: unknown): value is ConsentLapsedError {
  return value instanceof ConsentLapsedError;
}
