import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { HubContext } from '../../context.ts';
import { addDays } from '../../engine/dates.ts';
import { todayIn } from '../../engine/dates.ts';

export const USAGE_RETENTION_TASK = 'retention:usage_telemetry';

/** Raw usage telemetry is kept as Microsoft sent it for this many days. */
export const USAGE_TELEMETRY_DAYS = 90;

/**
 * `retention:usage_telemetry`: anonymises usage lines older than 90 days, one month of
 * usage dates per transaction. What invoices and their lineage need stays: every line,
 * its id, dates, subscription, resource group, meter, quantities and amounts, and tag
 * keys (allocation evidence). What goes: `additional_info` (Microsoft's free-form
 * telemetry) and tag values that are e-mail addresses or user principal names, replaced by
 * a pseudonym (`erased-<16 hex>`) from a salt that is never stored. Lines already done
 * match nothing, so a second run changes nothing.
 */
export async function anonymiseUsageTelemetry(ctx: HubContext, today: string = todayIn(ctx.config.billingTimeZone)): Promise<{ lines: number; cutoff: string }> {
  const cutoff = addDays(today, -USAGE_TELEMETRY_DAYS);
  const oldest = await ctx.db.selectFrom('usage_lines').select((eb) => eb.fn.min('usage_date').as('first')).where('usage_date', '<', cutoff).executeTakeFirst();
  if (!oldest?.first) return { lines: 0, cutoff };
  const salt = randomBytes(32).toString('hex');
  let lines = 0;
  for (let from = `${String(oldest.first).slice(0, 7)}-01`; from < cutoff; ) {
    const next = addDays(from, 40).slice(0, 7) + '-01';
    const to = next < cutoff ? next : cutoff;
    const result = await sql`
      update usage_lines u set
        additional_info = null,
        tags = (
          select coalesce(jsonb_object_agg(e.key, case when e.value ~ '[^[:space:]@]+@[^[:space:]@]+' then 'erased-' || left(encode(sha256(convert_to(${salt} || e.value, 'UTF8')), 'hex'), 16) else e.value end), '{}'::jsonb)
          from jsonb_each_text(u.tags) e
        )
      where u.usage_date >= ${from}::date and u.usage_date < ${to}::date
        and (u.additional_info is not null or exists (select 1 from jsonb_each_text(u.tags) e where e.value ~ '[^[:space:]@]+@[^[:space:]@]+'))`.execute(ctx.db);
    lines += Number(result.numAffectedRows ?? 0);
    from = to;
  }
  return { lines, cutoff };
}
