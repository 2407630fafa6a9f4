import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type, { type Static } from 'typebox';
import { sql } from 'kysely';
import type { HubContext } from '../../context.ts';
import { PageQuery, decodeCursor, encodeCursor } from '../pagination.ts';

const Uuid = Type.String({ format: 'uuid' });
const Money = Type.String({ pattern: '^-?[0-9]+(\\.[0-9]+)?$', description: 'Decimal string, vendor precision', examples: ['12.34'] });
const NullableMoney = Type.Union([Money, Type.Null()]);
const Period = Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'Billing month, YYYY-MM', examples: ['2026-09'] });

export const LateLine = Type.Object(
  {
    kind: Type.Union([Type.Literal('usage'), Type.Literal('license')]),
    id: Type.String({ description: 'The usage line id (a number) or the licence line id (a uuid)' }),
    period: Period,
    customerId: Uuid,
    customerName: Type.String({ description: "The hub customer's name" }),
    customerTenantId: Type.String({ description: 'Partner Center tenant id' }),
    date: Type.String({ format: 'date', description: 'Usage date, or the licence charge start date' }),
    description: Type.Union([Type.String(), Type.Null()], { description: 'Meter name for usage, product name for licences' }),
    chargeType: Type.Union([Type.String(), Type.Null()]),
    quantity: NullableMoney,
    effectiveUnitPrice: NullableMoney,
    amount: NullableMoney,
    currency: Type.Union([Type.String(), Type.Null()]),
    amountDelta: NullableMoney,
    lateDetectedAt: Type.String({ format: 'date-time' }),
    revision: Type.Integer(),
    supersedes: Type.Union([
      Type.Object({ id: Type.String(), quantity: NullableMoney, amount: NullableMoney }, { description: 'The frozen line this one revises' }),
      Type.Null(),
    ]),
    source: Type.String(),
    importId: Type.Union([Uuid, Type.Null()]),
    syncRunId: Type.Union([Uuid, Type.Null()]),
  },
  {
    $id: 'LateLine',
    description:
      'A usage or licence line that arrived for a billing period already closed: stored beside the frozen lines, never merged into them, ' +
      'waiting for a later close to bill it as an adjustment. `amount` is BillingPreTaxTotal (usage) or Subtotal (licence); `quantity` is ' +
      'Quantity (usage) or BillableQuantity (licence); `amountDelta` is what the line adds to its period: its amount minus the superseded ' +
      "line's, or its whole amount when it is new.",
  },
);

interface LateRow {
  kind: 'usage' | 'license';
  id: string;
  ref: string;
  period: string;
  customer_id: string;
  customer_name: string;
  customer_tenant_id: string;
  line_date: string;
  description: string | null;
  charge_type: string | null;
  quantity: string | null;
  effective_unit_price: string | null;
  amount: string | null;
  currency: string | null;
  amount_delta: string | null;
  late_detected_at: Date;
  detected: Date;
  revision: number;
  supersedes_id: string | null;
  superseded_quantity: string | null;
  superseded_amount: string | null;
  source: string;
  import_id: string | null;
  sync_run_id: string | null;
}

function toLateLine(row: LateRow): Static<typeof LateLine> {
  return {
    kind: row.kind,
    id: row.id,
    period: row.period,
    customerId: row.customer_id,
    customerName: row.customer_name,
    customerTenantId: row.customer_tenant_id,
    date: row.line_date,
    description: row.description,
    chargeType: row.charge_type,
    quantity: row.quantity,
    effectiveUnitPrice: row.effective_unit_price,
    amount: row.amount,
    currency: row.currency,
    amountDelta: row.amount_delta,
    lateDetectedAt: row.late_detected_at.toISOString(),
    revision: row.revision,
    supersedes: row.supersedes_id === null ? null : { id: row.supersedes_id, quantity: row.superseded_quantity, amount: row.superseded_amount },
    source: row.source,
    importId: row.import_id,
    syncRunId: row.sync_run_id,
  };
}

function nextMonth(period: string): string {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

export function lateUsageRoutes(app: FastifyInstance, ctx: HubContext): void {
  app.addSchema(LateLine);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/v1/late-usage',
    {
      config: { auth: { roles: ['finance', 'billing_ops', 'admin', 'auditor'] } },
      schema: {
        tags: ['usage'],
        summary: 'Late lines waiting for a close: usage and licence lines that arrived for closed periods, newest first',
        querystring: Type.Object(
          { ...PageQuery, period: Type.Optional(Period), customerId: Type.Optional(Uuid) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(Type.Ref('LateLine')), nextCursor: Type.Union([Type.String(), Type.Null()]) }) },
      },
    },
    async (request) => {
      const { limit = 50, cursor, period, customerId } = request.query;
      const position = decodeCursor(cursor);
      const usageWhere = [sql`u.late`, sql`u.picked_up_by_run is null`];
      const licenseWhere = [sql`l.late`, sql`l.picked_up_by_run is null`];
      if (period) {
        // A range on usage_date lets PostgreSQL read only that month's partition.
        usageWhere.push(sql`u.usage_date >= ${`${period}-01`}::date and u.usage_date < ${`${nextMonth(period)}-01`}::date`);
        licenseWhere.push(sql`l.charge_period = ${period}`);
      }
      if (customerId) {
        usageWhere.push(sql`u.customer_id = ${customerId}::uuid`);
        licenseWhere.push(sql`l.customer_id = ${customerId}::uuid`);
      }
      // Keyset on (detected time to the millisecond a cursor can carry, line reference).
      const after = position ? sql`where (x.detected, x.ref) < (${position.createdAt}::timestamptz, ${position.id})` : sql``;
      const { rows } = await sql<LateRow>`
        select x.* from (
          select 'usage' as kind, u.id::text as id, 'usage:' || lpad(u.id::text, 20, '0') as ref,
            to_char(u.usage_date, 'YYYY-MM') as period, u.customer_id, c.name as customer_name, u.customer_tenant_id,
            u.usage_date::text as line_date, coalesce(u.meter_name, u.meter_category, u.product_name) as description, u.charge_type,
            u.quantity::text as quantity, u.effective_unit_price::text as effective_unit_price,
            u.billing_pre_tax_total::text as amount, u.billing_currency as currency,
            (u.billing_pre_tax_total - coalesce(s.billing_pre_tax_total, 0))::text as amount_delta,
            u.late_detected_at, date_trunc('milliseconds', u.late_detected_at) as detected, u.revision,
            u.supersedes_id::text as supersedes_id, s.quantity::text as superseded_quantity, s.billing_pre_tax_total::text as superseded_amount,
            u.source, u.import_id, u.sync_run_id
          from usage_lines u
          join customers c on c.id = u.customer_id
          left join usage_lines s on s.usage_date = u.usage_date and s.id = u.supersedes_id
          where ${sql.join(usageWhere, sql` and `)}
          union all
          select 'license', l.id::text, 'license:' || l.id::text,
            l.charge_period, l.customer_id, c.name, l.customer_tenant_id,
            to_char(l.charge_start_date at time zone 'UTC', 'YYYY-MM-DD'), coalesce(l.product_name, l.sku_name), l.charge_type,
            coalesce(l.billable_quantity, l.quantity)::text, l.effective_unit_price::text,
            l.subtotal::text, l.currency,
            (l.subtotal - coalesce(s.subtotal, 0))::text,
            l.late_detected_at, date_trunc('milliseconds', l.late_detected_at), l.revision,
            l.supersedes_id::text, coalesce(s.billable_quantity, s.quantity)::text, s.subtotal::text,
            l.source, l.import_id, l.sync_run_id
          from license_lines l
          join customers c on c.id = l.customer_id
          left join license_lines s on s.id = l.supersedes_id
          where ${sql.join(licenseWhere, sql` and `)}
        ) x
        ${after}
        order by x.detected desc, x.ref desc
        limit ${limit + 1}
      `.execute(ctx.db);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        items: page.map(toLateLine),
        nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.detected, id: last.ref }) : null,
      };
    },
  );
}
