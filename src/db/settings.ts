import { sql, type Transaction } from 'kysely';
import { writeAudit, type ActorContext } from './audit.ts';
import type { Db } from './database.ts';
import type { Database } from './types.ts';

// Hub-wide settings: one jsonb value per key in `settings`. Each key has a typed reader
// and writer here; a write is an upsert audited with before and after in the caller's
// transaction.

export const INVOICE_SELLER_KEY = 'invoice.seller';

/** The seller header of invoice documents (the MSP itself) and its payment terms. */
export interface InvoiceSeller {
  name: string;
  /** Postal address, one line each, printed under the name. */
  addressLines: string[];
  /** VAT number or other tax id, printed as "Tax ID: …". */
  taxId: string | null;
  /** Billing contact address, printed under the address. */
  email: string | null;
  /** Days from issue to due date. */
  paymentTermsDays: number;
}

export const DEFAULT_PAYMENT_TERMS_DAYS = 30;

export interface StoredSetting<T> {
  value: T;
  updatedAt: Date;
}

/** A stored seller value as the current shape (older rows may lack fields). */
function sellerOf(value: unknown): InvoiceSeller {
  const v = (value ?? {}) as Partial<Record<keyof InvoiceSeller, unknown>>;
  return {
    name: typeof v.name === 'string' ? v.name : '',
    addressLines: Array.isArray(v.addressLines) ? v.addressLines.filter((l): l is string => typeof l === 'string') : [],
    taxId: typeof v.taxId === 'string' ? v.taxId : null,
    email: typeof v.email === 'string' ? v.email : null,
    paymentTermsDays: typeof v.paymentTermsDays === 'number' ? v.paymentTermsDays : DEFAULT_PAYMENT_TERMS_DAYS,
  };
}

/** The invoice seller setting, or undefined when none has been set. */
export async function loadInvoiceSeller(db: Db | Transaction<Database>): Promise<StoredSetting<InvoiceSeller> | undefined> {
  const row = await db.selectFrom('settings').select(['value', 'updated_at']).where('key', '=', INVOICE_SELLER_KEY).executeTakeFirst();
  return row ? { value: sellerOf(row.value), updatedAt: row.updated_at } : undefined;
}

/**
 * Set the invoice seller (replacing the whole value) inside the caller's transaction,
 * with an audit row holding the value before and after.
 *
 * @example await db.transaction().execute((trx) => saveInvoiceSeller(trx, { name: 'Northwind MSP', ... }, { actor: 'cli:ops' }));
 */
export async function saveInvoiceSeller(trx: Transaction<Database>, seller: InvoiceSeller, actor: ActorContext): Promise<StoredSetting<InvoiceSeller>> {
  // Concurrent writers queue here, so each audit row's `before` is what it replaced.
  await sql`select pg_advisory_xact_lock(hashtext(${`settings:${INVOICE_SELLER_KEY}`}))`.execute(trx);
  const before = await loadInvoiceSeller(trx);
  const value = sellerOf(seller);
  const row = await trx
    .insertInto('settings')
    .values({ key: INVOICE_SELLER_KEY, value: JSON.stringify(value) })
    .onConflict((oc) => oc.column('key').doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
    .returning(['value', 'updated_at'])
    .executeTakeFirstOrThrow();
  await writeAudit(trx, { ...actor, action: 'settings.invoice_seller.update', entity: 'setting', entityId: INVOICE_SELLER_KEY, before: before?.value ?? null, after: value });
  return { value: sellerOf(row.value), updatedAt: row.updated_at };
}
