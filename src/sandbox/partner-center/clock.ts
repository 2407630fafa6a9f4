/**
 * The sandbox's business clock: it decides which usage is published and which
 * invoices exist. Tests pin or advance it; token and SAS lifetimes and the
 * throttle window run on the separate wall clock, so moving business time does
 * not silently expire a client's token.
 *
 * @example
 *   const clock = new SandboxClock(new Date('2026-09-15T12:00:00Z'));
 *   clock.set(new Date('2026-09-17T12:00:00Z'));
 */
export class SandboxClock {
  #source: () => Date;

  constructor(now: Date | (() => Date) | undefined) {
    this.#source = toSource(now);
  }

  nowMs(): number {
    return this.#source().getTime();
  }

  set(now: Date | (() => Date)): void {
    this.#source = toSource(now);
  }
}

function toSource(now: Date | (() => Date) | undefined): () => Date {
  if (now === undefined) return () => new Date();
  if (typeof now === 'function') return now;
  if (Number.isNaN(now.getTime())) throw new Error('now must be a valid Date');
  const fixed = new Date(now.getTime());
  return () => fixed;
}
