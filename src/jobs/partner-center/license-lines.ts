import type { HubContext } from '../../context.ts';
import { kyselyOnClient } from '../../db/database.ts';
import { resolveCustomers } from '../../db/ingest/customers.ts';
import { withClientTransaction } from '../../db/ingest/copy.ts';
import { ingestLicenseLines, type LicenseLineInput } from '../../db/ingest/license-lines.ts';
import { mapLicenseLine } from '../../mappings/partner-center/lines.ts';
import { recordMappingUse } from '../../db/mapping-uses.ts';
import { mappingObject } from '../../mappings/objects.ts';
import { compileLicenseMapping } from '../../mappings/partner-center/license-compiled.ts';
import { checkedMappingInForce } from '../mapping-in-force.ts';
import { partnerCenterClientFor } from './client-for-connection.ts';
import { addProgress, readCursor, recordRunError, writeCursor } from './run-progress.ts';
import type { RunPayload } from './task.ts';

export type LicenseSource = { kind: 'billed'; invoiceId: string } | { kind: 'unbilled'; period: 'current' | 'previous'; currency: string };

export interface LicenseLinesPayload extends RunPayload {
  connectionId: string;
  source: LicenseSource;
  key: string;
}

const ACTOR = 'system:partner_center.license_lines';
const LICENSE_LINE = mappingObject('partner-center', 'license_line')!;

/**
 * New-commerce reconciliation line items (seats, one-time charges), billed per invoice
 * or unbilled, through their documented seek paging. Each page commits with the link
 * to the next one: a retried job continues after the last stored page, never skips one.
 */
export async function syncLicenseLines(payload: LicenseLinesPayload, ctx: HubContext): Promise<void> {
  const scope = `run:${payload.runId}:license:${payload.key}`;
  const saved = (await readCursor<{ cursor?: string; done?: boolean }>(ctx.db, payload.connectionId, scope)) ?? {};
  if (saved.done) return;
  let retries = 0;
  const client = await partnerCenterClientFor(ctx, payload.connectionId, { onRetry: () => retries++, correlationId: payload.runId });
  const pages =
    payload.source.kind === 'billed'
      ? client.billedLineItems(payload.source.invoiceId, saved.cursor ? { cursor: saved.cursor } : {})
      : client.unbilledLineItems({ currency: payload.source.currency, period: payload.source.period, ...(saved.cursor ? { cursor: saved.cursor } : {}) });
  // Compiled once for the job's pages: the built-in mapping compiles to nothing.
  const mapping = await checkedMappingInForce(ctx.db, payload.connectionId, LICENSE_LINE);
  const mapOptions = { licenseMapping: compileLicenseMapping(mapping) };
  let last = false;
  for await (const page of pages) {
    const mapped = page.items.map((item) => mapLicenseLine(item as Record<string, unknown>, mapOptions));
    const rejected = mapped.flatMap((m, i) => (m.ok ? [] : [{ i, errors: m.errors }]));
    for (const r of rejected.slice(0, 5)) {
      await recordRunError(ctx.db, payload.runId, { job: 'partner_center:license_lines', message: `${payload.key} item ${r.i + 1}: ${r.errors.map((e) => `${e.field} ${e.reason}`).join('; ')}` });
    }
    const good = mapped.flatMap((m) => (m.ok ? [m] : []));
    const customers = await resolveCustomers(ctx.db, good.map((m) => ({ tenantId: m.row.customer_tenant_id!, name: m.row.customer_name ?? null })), ACTOR);
    const inputs: LicenseLineInput[] = good.map((m) => ({ row: m.row, productQualifiers: m.productQualifiers, customerId: customers.get(m.row.customer_tenant_id!)! }));
    last = !page.cursor;
    await withClientTransaction(ctx.pool, async (pgClient) => {
      await ingestLicenseLines(pgClient, inputs, { source: payload.source.kind, connectionId: payload.connectionId, syncRunId: payload.runId, importId: null });
      const tx = kyselyOnClient(pgClient);
      if (page.items.length > 0) await recordMappingUse(tx, { connectionId: payload.connectionId, object: LICENSE_LINE.object, version: mapping.version, records: page.items.length });
      await writeCursor(tx, payload.connectionId, scope, page.cursor ? { cursor: page.cursor } : { done: true });
      await addProgress(tx, payload.runId, { pages: 1, lines: good.length, retries, ...(last ? { pendingJobs: -1 } : {}) });
    });
    retries = 0;
  }
  if (!last) {
    // No pages at all: nothing to store, but the job is done.
    await writeCursor(ctx.db, payload.connectionId, scope, { done: true });
    await addProgress(ctx.db, payload.runId, { pendingJobs: -1, retries });
  }
}
