/**
 * The engine's one error type. `code` is stable (jobs map it to a problem+json
 * `type` or a close finding); `message` is written for the finance person who will
 * read it in the close report; `details` carries the offending values.
 *
 * @example
 *   throw new EngineError('unknown_currency', 'Unknown currency "XYZ" ...', { currency: 'XYZ' });
 */
export type EngineErrorCode =
  | 'invalid_input'
  | 'unknown_currency'
  | 'fx_rate_missing'
  | 'fx_rate_ambiguous'
  | 'fx_policy_mismatch'
  | 'invalid_rate_card'
  | 'invalid_allocation_rule'
  | 'invalid_cost_tree'
  | 'invalid_subscription_events'
  | 'decrease_outside_refund_window'
  | 'invalid_invoice_input';

export class EngineError extends Error {
  readonly code: EngineErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: EngineErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'EngineError';
    this.code = code;
    this.details = details;
  }
}
