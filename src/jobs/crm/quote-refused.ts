import type { QuoteProblem } from '../../mappings/crm/quote-lines.ts';

/** A won deal the hub will not turn into billing setup by itself: it goes to the exceptions list. */
export class QuoteRefused extends Error {
  readonly problems: QuoteProblem[];
  constructor(reason: string, problems: QuoteProblem[]) {
    super(reason);
    this.name = 'QuoteRefused';
    this.problems = problems;
  }
}
