import type pg from 'pg';
import { LICENSE_LINE_FIELDS } from '../../mappings/partner-center/fields.ts';
import { columnFor, LICENSE_COLUMNS, type LineRow } from '../../mappings/partner-center/lines.ts';
import { copyRows } from './copy.ts';
import type { IngestCounts } from './usage-lines.ts';

export interface LicenseLineInput {
  row: LineRow;
  productQualifiers: string[];
  customerId: string;
}

export interface LicenseIngestSource {
  /** `billed` / `unbilled` reconciliation (API or export), or a file `import`. */
  source: 'billed' | 'unbilled' | 'import';
  connectionId: string | null;
  syncRunId: string | null;
  importId: string | null;
}

// Amount-bearing fields: a change in one of these after a close is a late revision.
const AMOUNT_COLUMNS = ['quantity', 'billable_quantity', 'unit_price', 'effective_unit_price', 'subtotal', 'tax_total', 'total_for_customer', 'pc_to_bc_exchange_rate'];
const VENDOR_COLUMNS = LICENSE_COLUMNS;
const STAGE_COLUMNS = ['line_key', 'charge_period', 'customer_id', 'product_qualifiers', 'closed', ...VENDOR_COLUMNS];

// The staging table's types come from the field table: decimals stay exact (numeric), dates are instants
// except the exchange-rate date, a calendar day.
const SQL_TYPES = new Map(
  LICENSE_LINE_FIELDS.map((f) => [columnFor(f), f.type === 'decimal' ? 'numeric' : f.type === 'date' ? (f.column === 'PCToBCExchangeRateDate' ? 'date' : 'timestamptz') : 'text']),
);

/** The last occurrence of each line wins within a batch, as it would across batches. */
function lastOfEachKey(lines: LicenseLineInput[]): LicenseLineInput[] {
  const byKey = new Map<string, LicenseLineInput>();
  for (const line of lines) {
    byKey.delete(line.row.line_key!);
    byKey.set(line.row.line_key!, line);
  }
  return byKey.size === lines.length ? lines : [...byKey.values()];
}

/**
 * Land a batch of licence reconciliation lines exactly once, inside the caller's
 * transaction: COPY into a typed staging table, then one merge, as usage lines do.
 * The natural key leaves out the invoice number and the amounts billed, so a billed
 * line replaces its unbilled estimate in place while its charge period is open. A
 * closed period's lines are never edited: new lines arrive late, and a changed line
 * arrives as a late revision superseding the frozen one, for the next close to pick up.
 *
 * @example
 *   const counts = await withClientTransaction(pool, (client) => ingestLicenseLines(client, lines, { source: 'import', connectionId: null, syncRunId: null, importId }));
 *   // { inserted: 12, updated: 0, unchanged: 0, late: 0 }
 */
export async function ingestLicenseLines(client: pg.PoolClient, input: LicenseLineInput[], source: LicenseIngestSource): Promise<IngestCounts> {
  if (input.length === 0) return { inserted: 0, updated: 0, unchanged: 0, late: 0 };
  const lines = lastOfEachKey(input);
  const periods = [...new Set(lines.map((l) => l.row.charge_period!))];
  const closedRows = await client.query<{ period: string }>(`select period from billing_periods where status = 'closed' and period = any($1::text[])`, [periods]);
  const closed = new Set(closedRows.rows.map((r) => r.period));

  await client.query(`
    create temp table if not exists license_stage (
      line_key text, charge_period text, customer_id uuid, product_qualifiers jsonb, closed boolean,
      ${VENDOR_COLUMNS.map((c) => `${c} ${SQL_TYPES.get(c) ?? 'text'}`).join(', ')}
    ) on commit drop`);
  // A second batch in the same transaction must not see the first one's rows.
  await client.query('truncate license_stage');
  await copyRows(
    client,
    'license_stage',
    STAGE_COLUMNS,
    (function* () {
      for (const l of lines) {
        yield [
          l.row.line_key!,
          l.row.charge_period!,
          l.customerId,
          JSON.stringify(l.productQualifiers),
          closed.has(l.row.charge_period!) ? 't' : 'f',
          ...VENDOR_COLUMNS.map((c) => l.row[c] ?? null),
        ];
      }
    })(),
  );

  const insertColumns = ['line_key', 'charge_period', 'customer_id', 'product_qualifiers', 'connection_id', 'sync_run_id', 'import_id', 'source', 'late', 'late_detected_at', 'supersedes_id', 'revision', ...VENDOR_COLUMNS];
  const params = [source.connectionId, source.syncRunId, source.importId, source.source];
  const vendorValues = VENDOR_COLUMNS.map((c) => `t.${c}`).join(', ');
  const tuple = (alias: string, columns: string[]) => `(${columns.map((c) => `${alias}.${c}`).join(', ')})`;

  // 1. Closed period, changed amounts: a late revision beside the frozen original.
  let lateRevisions = 0;
  if (closed.size > 0) {
    const revisions = await client.query(
      `insert into license_lines (${insertColumns.join(', ')})
      select t.line_key || '#' || md5(concat_ws('|', ${AMOUNT_COLUMNS.map((c) => `t.${c}`).join(', ')})), t.charge_period, t.customer_id, t.product_qualifiers,
        $1, $2, $3, $4, true, now(), l.id, l.revision + 1, ${vendorValues}
      from license_stage t join license_lines l on l.line_key = t.line_key
      where t.closed and ${tuple('l', AMOUNT_COLUMNS)} is distinct from ${tuple('t', AMOUNT_COLUMNS)}
      on conflict (line_key) do nothing`,
      params,
    );
    lateRevisions = revisions.rowCount ?? 0;
  }

  // 2. Everything else: insert new lines (late when their period is closed), revise open-period lines in place.
  const compared = [...VENDOR_COLUMNS, 'product_qualifiers'];
  const merged = await client.query<{ inserted: number; updated: number; late: number }>(
    `with merged as (
      insert into license_lines (${insertColumns.join(', ')})
      select t.line_key, t.charge_period, t.customer_id, t.product_qualifiers, $1, $2, $3, $4, t.closed, case when t.closed then now() end, null, 1, ${vendorValues}
      from license_stage t
      on conflict (line_key) do update set
        ${VENDOR_COLUMNS.map((c) => `${c} = excluded.${c}`).join(', ')},
        product_qualifiers = excluded.product_qualifiers, customer_id = excluded.customer_id, charge_period = excluded.charge_period,
        source = excluded.source, sync_run_id = excluded.sync_run_id, connection_id = excluded.connection_id, import_id = excluded.import_id,
        revision = license_lines.revision + 1, last_seen_at = now()
      where not excluded.late
        -- A billed line is final: an unbilled estimate fetched later never replaces it.
        and not (license_lines.invoice_number is not null and excluded.invoice_number is null)
        and ${tuple('license_lines', compared)} is distinct from ${tuple('excluded', compared)}
      returning revision = 1 as inserted, late
    )
    select count(*) filter (where inserted and not late)::int as inserted,
           count(*) filter (where not inserted)::int as updated,
           count(*) filter (where inserted and late)::int as late
    from merged`,
    params,
  );
  const counts = merged.rows[0]!;
  const late = counts.late + lateRevisions;
  return { inserted: counts.inserted, updated: counts.updated, late, unchanged: lines.length - counts.inserted - counts.updated - late };
}
