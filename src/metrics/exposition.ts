import { Counter, Gauge, Registry } from 'prom-client';
import type { FlushedCount } from './counter-flush.ts';
import type { HealthFigures } from './health-figures.ts';
import { FLUSHED_COUNTERS, processRegistry } from './process-metrics.ts';

/**
 * The Prometheus text of this process's counters plus the figures read from the
 * database for this scrape. The database figures go in a registry of their own, made
 * per scrape, so a gauge never shows a value from an earlier scrape (a connection
 * deleted since, a task whose jobs are gone).
 */
export async function prometheusText(figures: HealthFigures, otherProcesses: readonly FlushedCount[] = []): Promise<{ contentType: string; body: string }> {
  const scrape = new Registry();
  // Counters a worker counts: this process's values plus what every other process flushed.
  for (const own of FLUSHED_COUNTERS) {
    const metric = await own.get();
    const values = [...metric.values, ...otherProcesses.filter((f) => f.metric === metric.name)];
    const labelNames = [...new Set(values.flatMap((v) => Object.keys(v.labels)))];
    const total = new Counter({ name: metric.name, help: metric.help, labelNames, registers: [scrape] });
    for (const v of values) total.inc(v.labels, v.value);
  }
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Gauge<L>({ name, help, labelNames, registers: [scrape] });

  const syncLag = gauge('hub_sync_lag_seconds', 'Seconds since the latest finished (succeeded or partial) sync of each connection', ['connection_id', 'provider']);
  for (const s of figures.syncLag) if (s.lagSeconds !== null) syncLag.set({ connection_id: s.connectionId, provider: s.provider }, s.lagSeconds);

  const compliance = gauge('hub_tag_compliance_ratio', "Share of Azure usage cost carrying every required tag, in the latest finished billing run, per billing currency", ['currency', 'period']);
  for (const t of figures.tagCompliance) if (t.share !== null) compliance.set({ currency: t.currency, period: t.period }, Number(t.share));

  const jobs = gauge('hub_jobs', 'graphile-worker jobs by task and state (queued, running, retrying, failed)', ['task', 'state']);
  for (const j of figures.jobs) {
    for (const state of ['queued', 'running', 'retrying', 'failed'] as const) jobs.set({ task: j.task, state }, j[state]);
  }

  const margin = gauge('hub_margin_deviation_points', "Margin % minus the price-weighted target margin % of the latest invoiced period, per customer group (the rate card template) and currency", ['group', 'currency', 'period']);
  for (const m of figures.marginVariance) {
    if (m.deviationPoints !== null) margin.set({ group: m.group, currency: m.currency, period: figures.marginPeriod ?? '' }, Number(m.deviationPoints));
  }

  const deliveries = gauge('hub_invoice_deliveries', 'Invoice e-mails asked for in the last 30 days, by status (pending, sent, bounced, failed)', ['status']);
  const d = figures.invoiceDelivery;
  for (const status of ['pending', 'sent', 'bounced', 'failed'] as const) deliveries.set({ status }, d[status]);
  const success = gauge('hub_invoice_delivery_success_ratio', 'Sent ÷ settled (sent, bounced or failed) invoice e-mails of the last 30 days', []);
  if (d.successRatio !== null) success.set(Number(d.successRatio));

  const merged = Registry.merge([processRegistry, scrape]);
  return { contentType: merged.contentType, body: await merged.metrics() };
}
