/**
 * A small cache of line sources keyed by scope, so the per-customer counts a
 * paged read or an export needs are computed once, not once per page or blob.
 */
import { LicenseLineSource } from './license-lines.ts';
import { UsageLineSource, type UsageScope } from './usage-lines.ts';
import type { Portfolio } from './portfolio.ts';

const CAPACITY = 16;

export type LineKind = 'usage' | 'license';

export class LineSources {
  readonly #portfolio: Portfolio;
  readonly #cache = new Map<string, UsageLineSource | LicenseLineSource>();

  constructor(portfolio: Portfolio) {
    this.#portfolio = portfolio;
  }

  usage(scope: UsageScope): UsageLineSource {
    return this.#get('usage', scope, () => new UsageLineSource(this.#portfolio, scope)) as UsageLineSource;
  }

  license(scope: UsageScope): LicenseLineSource {
    return this.#get('license', scope, () => new LicenseLineSource(this.#portfolio, scope)) as LicenseLineSource;
  }

  #get(kind: LineKind, scope: UsageScope, make: () => UsageLineSource | LicenseLineSource): UsageLineSource | LicenseLineSource {
    const key = scopeKey(kind, scope);
    const hit = this.#cache.get(key);
    if (hit) {
      this.#cache.delete(key);
      this.#cache.set(key, hit);
      return hit;
    }
    const made = make();
    this.#cache.set(key, made);
    if (this.#cache.size > CAPACITY) this.#cache.delete(this.#cache.keys().next().value as string);
    return made;
  }
}

export function scopeKey(kind: LineKind, scope: UsageScope): string {
  return `${kind}|${scope.billingMonth}|${scope.currency}|${scope.invoiceNumber}|${scope.asOfMs}`;
}
