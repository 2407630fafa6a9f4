/**
 * What happens to a QuickBooks invoice after it is made, as the sandbox keeps it: credit
 * memos (a sales document like the invoice, whose Balance is the credit left) and
 * payments. A Payment's lines link the transactions it settles (`LinkedTxn`): an Invoice
 * line takes money or credit to the invoice, a CreditMemo line uses credit, so a
 * zero-amount payment with one of each applies a credit memo to an invoice (QuickBooks
 * has no other way to apply one through the API).
 */
import { Decimal } from '../../engine/decimal.ts';
import { QboFault, type QboObject, type QuickBooksCompany } from './company.ts';

const money = (d: Decimal) => Number(d.toFixed(2));
const refOf = (v: unknown) => (v && typeof v === 'object' ? String((v as { value?: unknown }).value ?? '') : '');
const businessError = (detail: string, element = '') =>
  new QboFault([{ Message: 'A business validation error has occurred while processing your request', Detail: `Business Validation Error: ${detail}`, code: '6000', element }]);
const notFound = (what: string) =>
  new QboFault([{ Message: 'Object Not Found', Detail: `Object Not Found : Something you're trying to use has been made inactive or deleted (${what}).`, code: '610' }]);

interface Link {
  txnId: string;
  txnType: 'Invoice' | 'CreditMemo';
  amount: Decimal;
}

export class QuickBooksReceivables {
  readonly creditMemos = new Map<string, QboObject>();
  readonly payments = new Map<string, QboObject>();
  readonly #company: QuickBooksCompany;
  readonly #now: () => Date;

  constructor(company: QuickBooksCompany, now: () => Date) {
    this.#company = company;
    this.#now = now;
    company.collections.set('creditmemo', { name: 'CreditMemo', rows: this.creditMemos });
    company.collections.set('payment', { name: 'Payment', rows: this.payments });
  }

  createCreditMemo(input: QboObject): QboObject {
    const memo = this.#company.salesDocument(input);
    memo.RemainingCredit = memo.TotalAmt;
    this.creditMemos.set(memo.Id as string, memo);
    return memo;
  }

  readCreditMemo(id: string): QboObject {
    const memo = this.creditMemos.get(id);
    if (!memo) throw notFound(`CreditMemo ${id}`);
    return memo;
  }

  readPayment(id: string): QboObject {
    const payment = this.payments.get(id);
    if (!payment) throw notFound(`Payment ${id}`);
    return payment;
  }

  /**
   * `POST /payment`. TotalAmt is the money received: what the Invoice lines take less what
   * the CreditMemo lines bring; each line at most what its invoice still owes or its memo
   * still holds, all of one customer.
   */
  createPayment(input: QboObject): QboObject {
    const customer = this.#company.customers.get(refOf(input.CustomerRef));
    if (!customer) throw new QboFault([{ Message: 'Invalid Reference Id', Detail: 'Invalid Reference Id : Customer not found', code: '2500', element: 'CustomerRef' }]);
    const lines = Array.isArray(input.Line) ? (input.Line as QboObject[]) : [];
    const links: Link[] = lines.flatMap((line) =>
      ((line.LinkedTxn as QboObject[] | undefined) ?? []).map((l) => ({ txnId: String(l.TxnId ?? ''), txnType: l.TxnType as Link['txnType'], amount: new Decimal(String(line.Amount ?? 0)) })),
    );
    const total = new Decimal(String(input.TotalAmt ?? 0));
    let toInvoices = new Decimal(0);
    let fromCredits = new Decimal(0);
    for (const link of links) {
      if (link.amount.lte(0)) throw businessError('A linked transaction line must have a positive Amount', 'Line.Amount');
      const target = link.txnType === 'Invoice' ? this.#company.invoices.get(link.txnId) : link.txnType === 'CreditMemo' ? this.creditMemos.get(link.txnId) : undefined;
      if (!target) throw notFound(`${String(link.txnType)} ${link.txnId}`);
      if (refOf(target.CustomerRef) !== customer.Id) throw businessError(`${link.txnType} ${link.txnId} belongs to another customer`);
      if (link.amount.gt(String(target.Balance))) throw businessError(`The amount applied to ${link.txnType} ${link.txnId} is more than its open balance ${String(target.Balance)}`);
      if (link.txnType === 'Invoice') toInvoices = toInvoices.plus(link.amount);
      else fromCredits = fromCredits.plus(link.amount);
    }
    if (total.lt(0) || toInvoices.minus(fromCredits).gt(total)) throw businessError('The payment amount must cover the amounts applied to invoices less the credits used', 'TotalAmt');
    const id = this.#company.newId();
    for (const link of links) {
      const target = link.txnType === 'Invoice' ? this.#company.invoices.get(link.txnId)! : this.creditMemos.get(link.txnId)!;
      const balance = money(new Decimal(String(target.Balance)).minus(link.amount));
      Object.assign(target, {
        Balance: balance,
        ...(link.txnType === 'CreditMemo' ? { RemainingCredit: balance } : {}),
        LinkedTxn: [...((target.LinkedTxn as QboObject[] | undefined) ?? []), { TxnId: id, TxnType: 'Payment' }],
        SyncToken: String(Number(target.SyncToken) + 1),
        MetaData: { ...(target.MetaData as QboObject), LastUpdatedTime: this.#now().toISOString() },
      });
    }
    const stamp = this.#now().toISOString();
    const payment: QboObject = {
      ...input,
      Id: id,
      SyncToken: '0',
      TxnDate: typeof input.TxnDate === 'string' ? input.TxnDate : stamp.slice(0, 10),
      CustomerRef: { value: customer.Id, name: customer.DisplayName },
      CurrencyRef: { value: refOf(customer.CurrencyRef) || 'USD' },
      TotalAmt: money(total),
      UnappliedAmt: money(total.minus(toInvoices.minus(fromCredits))),
      Line: lines.map((l) => ({ ...l, Amount: money(new Decimal(String(l.Amount ?? 0))) })),
      MetaData: { CreateTime: stamp, LastUpdatedTime: stamp },
    };
    this.payments.set(id, payment);
    return payment;
  }
}
