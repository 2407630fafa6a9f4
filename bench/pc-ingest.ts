/**
 * pc-ingest: ingestion of 1,000,000 Partner Center usage lines, timed against a bare
 * COPY of the same rows in the same run. Target: elapsed ÷ baseline ≤ 2.0, peak RSS
 * under 400 MB.
 *
 * Ingestion is the hub's real path from Microsoft's export format: gzipped JSON-lines
 * blobs as the v2 billed-usage export serves them (written beforehand by the sandbox's
 * line generator: 200 customers × their Azure resources × 30 days) → readJsonLines
 * (gunzip, exact numbers) → mapUsageLine → resolveCustomers → ingestUsageLines, one
 * transaction per batch that also saves the blob cursor and the run's progress, as the
 * usage-blob job does (ingestUsageStream). It runs in a fresh Node process, as on a
 * worker, and its peak RSS is that process's own: this one, which generated the
 * inputs, has a heap of its own to carry.
 *
 * Baseline: the same canonical rows (same columns and values as ingestion COPYs them,
 * in COPY's text format: ingestion sends the binary format, which spares PostgreSQL
 * the parsing of dates, instants, uuids and decimals) COPYed into an unindexed,
 * unpartitioned, logged table with usage_lines' column types.
 * It runs before and after the ingestion and the ratio uses the mean of the two.
 * Customers exist before either is timed (the generator creates them, to write the
 * baseline's customer ids); ingestion still resolves them per batch.
 *
 * Lines are read through the connection's usage line mapping, loaded and compiled as
 * the usage-blob job does: by default the built-in one; with --custom-mapping a saved
 * version whose resource group comes from the costCenter tag where a resource has one
 * and which adds an `owner` tag made from two columns (two changed rules run per line).
 *
 * Flags: --lines N (default 1,000,000), --batch N (lines per transaction, default
 * HUB_INGEST_BATCH_LINES or 10,000), --durable (fsync and synchronous commit on),
 * --custom-mapping.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { pipeline } from 'node:stream/promises';
import { constants, createGzip } from 'node:zlib';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { loadConfig } from '../src/config.ts';
import { parseJsonExact } from '../src/connectors/http/exact-json.ts';
import { readJsonLines } from '../src/connectors/partner-center/json-lines.ts';
import { kyselyOnClient, openDatabase } from '../src/db/database.ts';
import { resolveCustomers } from '../src/db/ingest/customers.ts';
import { CANONICAL_USAGE_COLUMNS, canonicalCopyLine } from '../src/db/ingest/usage-encoding.ts';
import { ingestUsageStream } from '../src/db/ingest/usage-stream.ts';
import { addProgress, writeCursor } from '../src/jobs/partner-center/run-progress.ts';
import { mapUsageLine } from '../src/mappings/partner-center/lines.ts';
import { checkedMappingInForce } from '../src/jobs/mapping-in-force.ts';
import { mappingObject } from '../src/mappings/objects.ts';
import { compileUsageMapping } from '../src/mappings/partner-center/usage-compiled.ts';
import { parsePeriod } from '../src/sandbox/partner-center/calendar.ts';
import { createPortfolio, UsageLineSource, type Portfolio } from '../src/sandbox/partner-center/index.ts';
import { BILLED_AS_OF, WRITERS } from '../src/sandbox/partner-center/writers.ts';
import { count, finish, inFreshProcess, intFlag, parseFlags, peakRssMb, measured, reportResult, processCpuSeconds, profiled, seconds, withMemoryPeaks, type Measured, type MemoryPeaks, startBenchDatabase, type BenchDatabase } from './support.ts';

const NAME = 'pc-ingest';
const TARGET = 2.0;
const RSS_LIMIT_MB = 400;
const CUSTOMERS = 200;
const PERIOD = '2026-09';
/** The sandbox's default blob size (Graph exports split a month into blobs of this order). */
const LINES_PER_BLOB = 100_000;
const ACTOR = 'system:bench.pc_ingest';
const USAGE_LINE = mappingObject('partner-center', 'usage_line')!;

const flags = parseFlags(process.argv.slice(2), ['lines', 'batch', 'durable', 'ingest-child', 'custom-mapping']);
const LINES = intFlag(flags, 'lines', 1_000_000);
const BATCH = intFlag(flags, 'batch', loadConfig().ingestBatchLines);

interface Export {
  portfolio: Portfolio;
  sources: UsageLineSource[];
}

/** A billed month, one source per billing currency, from a portfolio big enough for `lines`. */
function billedMonth(lines: number): Export {
  const month = parsePeriod(PERIOD);
  // 200 customers with one Azure subscription each; grow the estate until the month holds enough lines.
  let perSubscription = Math.ceil(lines / (CUSTOMERS * 30));
  for (;;) {
    const portfolio = createPortfolio(
      { seed: NAME, customers: CUSTOMERS, subscriptionsPerCustomer: 5, licenseShare: 0.8, resourcesPerSubscription: perSubscription, period: PERIOD },
      new Date('2026-11-01T00:00:00Z'),
    );
    const sources = portfolio.currencies().map((currency) => new UsageLineSource(portfolio, { billingMonth: month, currency, asOfMs: BILLED_AS_OF, invoiceNumber: portfolio.invoiceId(month, currency) }));
    if (sources.reduce((n, s) => n + s.total(), 0) >= lines) return { portfolio, sources };
    perSubscription = Math.ceil(perSubscription * 1.1);
  }
}

/** The first `lines` lines of the month as export JSON, generated lazily. */
function* exportLines({ sources }: Export, lines: number): Generator<string> {
  let n = 0;
  for (const source of sources) {
    for (const line of source.rendered(WRITERS.usageBlobFull)) {
      if (n++ >= lines) return;
      yield line;
    }
  }
}

/** A buffered text sink that respects backpressure. */
class TextSink {
  #buffer = '';
  readonly #stream: NodeJS.WritableStream;
  constructor(stream: NodeJS.WritableStream) {
    this.#stream = stream;
  }
  async write(text: string): Promise<void> {
    this.#buffer += text;
    if (this.#buffer.length < 256 * 1024) return;
    const full = this.#buffer;
    this.#buffer = '';
    if (!this.#stream.write(full)) await once(this.#stream, 'drain');
  }
  end(): void {
    this.#stream.end(this.#buffer);
    this.#buffer = '';
  }
}

/**
 * Writes the export as gzipped JSON-lines blobs of LINES_PER_BLOB lines (as the
 * sandbox serves them), and the baseline's COPY text of the same lines, mapped the
 * way ingestion maps them, with the customers (created here) that ingestion resolves.
 */
async function writeInputs(database: BenchDatabase, dir: string): Promise<{ blobs: string[]; baseline: string }> {
  const month = billedMonth(LINES);
  const customers = await resolveCustomers(
    database.db,
    month.portfolio.customers.map((c) => ({ tenantId: c.id.toLowerCase(), name: c.companyName })),
    ACTOR,
  );
  const baseline = join(dir, 'baseline.copy');
  const baselineFile = createWriteStream(baseline);
  const baselineDone = once(baselineFile, 'finish');
  const baselineText = new TextSink(baselineFile);
  const blobs: string[] = [];
  let blob: { sink: TextSink; done: Promise<void> } | undefined;
  let n = 0;
  for (const line of exportLines(month, LINES)) {
    if (n++ % LINES_PER_BLOB === 0) {
      if (blob) blob.sink.end(), await blob.done;
      const path = join(dir, `part-${String(blobs.length).padStart(5, '0')}.json.gz`);
      blobs.push(path);
      const gzip = createGzip({ level: constants.Z_BEST_SPEED });
      blob = { sink: new TextSink(gzip), done: pipeline(gzip, createWriteStream(path)) };
    }
    await blob!.sink.write(`${line}\n`);
    const mapped = mapUsageLine(parseJsonExact(line) as Record<string, unknown>);
    if (!mapped.ok) throw new Error(`a generated line does not map: ${JSON.stringify(mapped.errors)}`);
    const customerId = customers.get(mapped.row.customer_tenant_id!);
    if (!customerId) throw new Error(`no customer for tenant ${mapped.row.customer_tenant_id}`);
    await baselineText.write(canonicalCopyLine(mapped, customerId));
  }
  if (n < LINES) throw new Error(`the generator made ${n} lines, not ${LINES}`);
  if (blob) blob.sink.end(), await blob.done;
  baselineText.end();
  await baselineDone;
  return { blobs, baseline };
}

/** The baseline: COPY the canonical rows into a plain table with usage_lines' column types. */
async function bareCopy(database: BenchDatabase, file: string): Promise<Measured<void> & Stored> {
  const types = await database.pool.query<{ column: string; type: string }>(
    `select attname as column, format_type(atttypid, atttypmod) as type from pg_attribute where attrelid = 'usage_lines'::regclass and attnum > 0 and not attisdropped`,
  );
  const typeOf = new Map(types.rows.map((r) => [r.column, r.type]));
  const columns = CANONICAL_USAGE_COLUMNS.map((c) => `${c} ${typeOf.get(c)}`);
  await database.pool.query('drop table if exists usage_lines_baseline');
  await database.pool.query(`create table usage_lines_baseline (${columns.join(', ')})`);
  await database.pool.query('checkpoint');
  const client = await database.pool.connect();
  try {
    const timing = await measured(database, async () => {
      const copy = client.query(copyFrom(`copy usage_lines_baseline (${CANONICAL_USAGE_COLUMNS.join(', ')}) from stdin`));
      await pipeline(createReadStream(file, { highWaterMark: 256 * 1024 }), copy);
    });
    return { ...timing, ...(await stored(client, 'usage_lines_baseline')) };
  } finally {
    client.release();
    await database.pool.query('drop table usage_lines_baseline');
  }
}

interface Stored {
  rows: number;
  total: string;
}

/** What a table holds, to check both paths stored the same lines. */
async function stored(client: pg.Pool | pg.PoolClient, table: string): Promise<Stored> {
  const { rows } = await client.query<Stored>(`select count(*)::int as rows, sum(billing_pre_tax_total)::text as total from ${table}`);
  return rows[0]!;
}

/** What the ingesting process reports back. */
interface ChildResult {
  ms: number;
  read: number;
  nodeCpu: number;
  peaks: MemoryPeaks;
  /** The child's own peak RSS (kernel high-water mark), MB. */
  peakRssMb: number;
}

/**
 * The real path, blob after blob, as one sync run's usage-blob jobs would take them on
 * one worker. Runs in a fresh Node process, as a worker does: its peak RSS is the
 * ingestion's own, not this process's (which generated a million lines to write the inputs).
 */
async function ingest(database: BenchDatabase, blobs: string[]): Promise<Measured<ChildResult> & Stored> {
  const connection = await database.pool.query<{ id: string }>(
    `insert into connections (provider, name, credentials_encrypted) values ('partner-center', 'bench', 'unused') returning id`,
  );
  const connectionId = connection.rows[0]!.id;
  if (flags.has('custom-mapping')) {
    const rules = USAGE_LINE.defaultRules.map((r) =>
      r.target === 'usage.resourceGroup' ? { id: 'resource-group', target: r.target, transform: { type: 'expression', expression: 'coalesce(Tags.costCenter, ResourceGroup)' } } : r,
    );
    rules.push({ id: 'owner', target: 'usage.tags.owner', transform: { type: 'template', template: '{MeterCategory}/{ResourceLocation}' } });
    await database.pool.query(`insert into field_mappings (connection_id, object, version, rules, reason, created_by) values ($1, $2, 1, $3, 'bench', 'bench')`, [connectionId, USAGE_LINE.object, JSON.stringify(rules)]);
  }
  const run = await database.pool.query<{ id: string }>(
    `insert into sync_runs (connection_id, kind, period, trigger, status, pending_jobs) values ($1, 'billed', $2, 'manual', 'running', $3) returning id`,
    [connectionId, PERIOD, blobs.length],
  );
  const runId = run.rows[0]!.id;
  await database.pool.query('checkpoint');
  const job: ChildJob = { url: database.url, blobs, connectionId, runId, batch: BATCH };
  const timing = await measured(database, () => inFreshProcess<ChildResult>(fileURLToPath(import.meta.url), ['--ingest-child'], { BENCH_INGEST_JOB: JSON.stringify(job) }));
  return { ...timing, ...(await stored(database.pool, 'usage_lines')) };
}

interface ChildJob {
  url: string;
  blobs: string[];
  connectionId: string;
  runId: string;
  batch: number;
}

/** The ingesting process: every blob through ingestUsageStream, then one RESULT line on stdout. */
async function ingestChild(job: ChildJob): Promise<void> {
  const database = openDatabase(job.url, { max: 8 });
  const { connectionId, runId } = job;
  const source = { source: 'billed_export', connectionId, syncRunId: runId, importId: null } as const;
  // Once per blob job, as the usage-blob job does.
  const mapOptions = async () => ({ usageMapping: compileUsageMapping(await checkedMappingInForce(database.db, connectionId, USAGE_LINE)) });
  // One usage-blob job: its lines, each batch committed with the blob cursor and the run's progress.
  const blobIngestion = async (blob: string, index: number) => {
    const scope = `run:${runId}:blob:${index}`;
    const records = readJsonLines(
      createReadStream(blob, { highWaterMark: 256 * 1024 }),
      ({ line }) => new Error(`${blob} line ${line} is not a JSON object`),
      (cause) => new Error(`${blob} is not valid gzip`, { cause }),
    );
    const totals = await ingestUsageStream(database, records, {
      source,
      actor: ACTOR,
      batchLines: job.batch,
      mapOptions: await mapOptions(),
      onBatch: async (client, batch) => {
        const tx = kyselyOnClient(client);
        await writeCursor(tx, connectionId, scope, batch.last ? { committed: batch.reached, done: true } : { committed: batch.reached });
        await addProgress(tx, runId, { lines: batch.lines, ...(batch.last ? { pendingJobs: -1 } : {}) });
      },
    });
    if (totals.rejected > 0) throw new Error(`${totals.rejected} lines of ${blob} were rejected`);
    return totals.read;
  };
  try {
    // Connections opened before the clock starts, as a running worker's pool would have them.
    await Promise.all(Array.from({ length: 3 }, () => database.pool.query('select 1')));
    const cpu0 = processCpuSeconds();
    const started = performance.now();
    const { value: read, peaks } = await withMemoryPeaks(() =>
      profiled(NAME, async () => {
        let read = 0;
        for (const [index, blob] of job.blobs.entries()) read += await blobIngestion(blob, index);
        return read;
      }),
    );
    const result: ChildResult = { ms: performance.now() - started, read, nodeCpu: processCpuSeconds() - cpu0, peaks, peakRssMb: peakRssMb() };
    reportResult(result);
  } finally {
    await database.close();
  }
}

async function main(): Promise<void> {
  const durable = flags.has('durable');
  console.log(`${NAME}: ${count(LINES)} usage lines, ${CUSTOMERS} customers, ${PERIOD}, blobs of ${count(LINES_PER_BLOB)}, batches of ${count(BATCH)}${durable ? ', durable' : ''}`);
  const database = await startBenchDatabase({ durable });
  const dir = await mkdtemp(join(tmpdir(), 'hub-bench-'));
  try {
    const started = performance.now();
    const inputs = await writeInputs(database, dir);
    console.log(`  inputs      ${inputs.blobs.length} gzipped JSON-lines blobs and the baseline's COPY text, written in ${seconds(performance.now() - started)} (peak RSS so far ${peakRssMb()} MB)`);

    const before = await bareCopy(database, inputs.baseline);
    const setupRss = peakRssMb();
    const result = await ingest(database, inputs.blobs);
    const ingestionRss = result.value.peakRssMb;
    const after = await bareCopy(database, inputs.baseline);

    for (const [what, got] of [['baseline', before], ['ingestion', result]] as const) {
      if (got.rows !== LINES) throw new Error(`${what} stored ${got.rows} lines, not ${LINES}`);
    }
    if (result.total !== before.total) throw new Error(`ingestion's billing total ${result.total} differs from the baseline's ${before.total}`);

    const baselineMs = (before.ms + after.ms) / 2;
    // The ingestion's own clock (the process's start and module loading are not ingestion).
    const ratio = result.value.ms / baselineMs;
    const rate = (ms: number) => `${count(LINES / (ms / 1000))} lines/s`;
    const cpu = (m: Measured<unknown>) => `cpu: node ${m.nodeCpu.toFixed(1)} s, PostgreSQL ${m.serverCpu.toFixed(1)} s`;
    console.log(`  baseline    bare COPY into an unindexed table: ${seconds(before.ms)} before, ${seconds(after.ms)} after, mean ${seconds(baselineMs)} (${rate(baselineMs)})`);
    console.log(`              ${cpu(before)} before; ${cpu(after)} after`);
    console.log(`  ingestion   blobs → parse → map → customers → usage_lines, in a fresh worker process: ${seconds(result.value.ms)} (${rate(result.value.ms)}); ${seconds(result.ms)} with the process's start`);
    console.log(`              cpu: node ${result.value.nodeCpu.toFixed(1)} s, PostgreSQL ${result.serverCpu.toFixed(1)} s; memory peaks (MB): ${Object.entries(result.value.peaks).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    console.log(`  mapping     ${flags.has('custom-mapping') ? 'a saved version with two changed rules (resource group from a tag, an added tag)' : 'the built-in default'}`);
    console.log(`  check       ${count(result.rows)} lines stored, billing total ${result.total} = the baseline's`);
    console.log(`  memory      peak RSS of the ingesting process ${ingestionRss} MB (limit < ${RSS_LIMIT_MB} MB); this process, writing the inputs: ${setupRss} MB`);
    console.log(`  ratio       ${ratio.toFixed(2)} (target ≤ ${TARGET})`);
    finish({ name: NAME, ratio, target: TARGET, peakRssMb: ingestionRss, rssLimitMb: RSS_LIMIT_MB });
  } finally {
    await rm(dir, { recursive: true, force: true });
    await database.close();
  }
}

if (flags.has('ingest-child')) await ingestChild(JSON.parse(process.env.BENCH_INGEST_JOB ?? '{}') as ChildJob);
else await main();
