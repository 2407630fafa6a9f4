/**
 * Microsoft Graph partner-billing exports: an asynchronous operation that runs
 * for a configurable number of polls, then yields a manifest listing blobs of
 * gzipped JSON lines. The data is a snapshot of what was published when the
 * export was requested; blobs are generated on request, never stored.
 *
 * @example
 *   const op = registry.create({ dataset: 'usage', billed: false, scope, attributeSet: 'full' });
 *   registry.poll(op.id); // running, …, then succeeded with op.manifest
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Rng, seedFrom } from '../prng.ts';
import { billingMonthCode, isoInstant } from './calendar.ts';
import type { LineSources } from './line-sources.ts';
import type { UsageScope } from './usage-lines.ts';
import { WRITERS } from './writers.ts';

export type ExportDataset = 'usage' | 'reconciliation';

export interface ExportRequest {
  dataset: ExportDataset;
  billed: boolean;
  scope: UsageScope;
  attributeSet: 'full' | 'basic';
}

export interface ManifestBlob {
  name: string;
  partitionValue: string;
}

export interface Manifest {
  id: string;
  schemaVersion: string;
  dataFormat: string;
  createdDateTime: string;
  eTag: string;
  partnerTenantId: string;
  /** Path under the sandbox origin; the response makes it absolute. */
  rootPath: string;
  sasToken: string;
  partitionType: string;
  blobCount: number;
  blobs: ManifestBlob[];
  totalLines: number;
  linesPerBlob: number;
  request: ExportRequest;
}

export interface ExportOperation {
  id: string;
  request: ExportRequest;
  createdMs: number;
  /** Real time the operation was created: its links expire a lifetime later (410 Gone). */
  createdWallMs: number;
  lastActionMs: number;
  polls: number;
  manifest?: Manifest;
  error?: { code: string; message: string };
}

export interface ExportRegistryOptions {
  seed: number | string;
  partnerTenantId: string;
  sources: LineSources;
  /** Real time: SAS expiry. */
  wallClock: () => number;
  /** Business time: the timestamps an operation and manifest report. */
  businessClock: () => number;
  pollsBeforeReady: number;
  linesPerBlob: number;
  sasLifetimeSeconds: number;
  /** How long an operation's and its manifest's links live before they answer 410 Gone. */
  operationLifetimeSeconds: number;
}

const CHUNK_CHARS = 256 * 1024;

export class ExportRegistry {
  readonly #options: ExportRegistryOptions;
  readonly #operations = new Map<string, ExportOperation>();
  readonly #manifests = new Map<string, Manifest>();
  readonly #byRoot = new Map<string, Manifest>();
  readonly #sasKey = randomBytes(32);
  #counter = 0;

  constructor(options: ExportRegistryOptions) {
    this.#options = options;
  }

  set pollsBeforeReady(n: number) {
    this.#options.pollsBeforeReady = n;
  }

  set linesPerBlob(n: number) {
    this.#options.linesPerBlob = n;
  }

  create(request: ExportRequest): ExportOperation {
    const now = this.#options.businessClock();
    const op: ExportOperation = { id: this.#nextId('operation'), request, createdMs: now, createdWallMs: this.#options.wallClock(), lastActionMs: now, polls: 0 };
    this.#operations.set(op.id, op);
    return op;
  }

  /**
   * One status read: counts the poll and completes the operation once it has run long
   * enough. 'expired' once the operation has outlived its links (Microsoft: 410 Gone,
   * submit a new request).
   */
  poll(id: string): ExportOperation | 'expired' | undefined {
    const op = this.#operations.get(id.toLowerCase());
    if (!op) return undefined;
    if (this.#expired(op)) return 'expired';
    op.polls++;
    if (!op.manifest && !op.error && op.polls > this.#options.pollsBeforeReady) {
      op.lastActionMs = this.#options.businessClock();
      const total = this.#source(op.request).total();
      if (total === 0) op.error = { code: '5000', message: 'No data available' };
      else op.manifest = this.#buildManifest(op.request, total);
    }
    return op;
  }

  /** The manifest, or 'expired' once the operation that made it has outlived its links. */
  manifest(id: string): Manifest | 'expired' | undefined {
    const manifest = this.#manifests.get(id.toLowerCase());
    if (!manifest) return undefined;
    const op = [...this.#operations.values()].find((o) => o.manifest === manifest);
    return op && this.#expired(op) ? 'expired' : manifest;
  }

  #expired(op: ExportOperation): boolean {
    return this.#options.wallClock() - op.createdWallMs > this.#options.operationLifetimeSeconds * 1000;
  }

  /** Resolves a blob path (root directory + name) to its manifest and index. */
  findBlob(path: string): { manifest: Manifest; index: number } | undefined {
    const slash = path.lastIndexOf('/');
    const manifest = this.#byRoot.get(path.slice(0, slash));
    if (!manifest) return undefined;
    const index = manifest.blobs.findIndex((b) => b.name === path.slice(slash + 1));
    return index < 0 ? undefined : { manifest, index };
  }

  /** 'ok', 'expired' or 'invalid' for the SAS query parameters of a blob request. */
  checkSas(manifest: Manifest, query: Readonly<Record<string, string | undefined>>): 'ok' | 'expired' | 'invalid' {
    const se = query.se;
    const sig = query.sig;
    if (!se || !sig) return 'invalid';
    const expected = Buffer.from(this.#sign(manifest.rootPath, se));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'invalid';
    return Date.parse(se) > this.#options.wallClock() ? 'ok' : 'expired';
  }

  /** The blob's JSON lines (uncompressed), in chunks of about 256 KiB. */
  *blobText(manifest: Manifest, index: number): Generator<string> {
    const start = index * manifest.linesPerBlob;
    const end = Math.min(start + manifest.linesPerBlob, manifest.totalLines);
    const { request } = manifest;
    const lines =
      request.dataset === 'usage'
        ? this.#options.sources.usage(request.scope).rendered(request.attributeSet === 'basic' ? WRITERS.usageBlobBasic : WRITERS.usageBlobFull, start, end)
        : this.#options.sources.license(request.scope).rendered(WRITERS.licenseBlob, start, end);
    let chunk = '';
    for (const line of lines) {
      chunk += `${line}\n`;
      if (chunk.length >= CHUNK_CHARS) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }

  #source(request: ExportRequest): { total(): number } {
    return request.dataset === 'usage' ? this.#options.sources.usage(request.scope) : this.#options.sources.license(request.scope);
  }

  #buildManifest(request: ExportRequest, totalLines: number): Manifest {
    const o = this.#options;
    const id = this.#nextId('manifest');
    const { scope } = request;
    const container = `${request.billed ? 'billed' : 'unbilled'}${request.dataset}fastpath`;
    const partition = request.billed ? `InvoiceId=${scope.invoiceNumber}` : `Currency=${scope.currency}`;
    const rootPath = `/blobs/${container}/v1/PartnerTenantId=${o.partnerTenantId}/BillingMonth=${billingMonthCode(scope.billingMonth)}/${partition}/Fragment=${request.attributeSet}/PartitionType=default/Manifest=${id}`;
    const blobCount = Math.max(1, Math.ceil(totalLines / o.linesPerBlob));
    const se = isoInstant(o.wallClock() + o.sasLifetimeSeconds * 1000);
    const manifest: Manifest = {
      id,
      schemaVersion: '2',
      dataFormat: 'compressedJSONLines',
      createdDateTime: isoInstant(o.businessClock()),
      // A new eTag whenever the data differs: same scope and same line count ⇒ same data here.
      eTag: createHash('sha256').update(`${container}|${scope.billingMonth}|${scope.currency}|${scope.invoiceNumber}|${request.attributeSet}|${totalLines}`).digest('base64url').slice(0, 17),
      partnerTenantId: o.partnerTenantId,
      rootPath,
      sasToken: `skoid=${id}&sktid=${o.partnerTenantId}&sv=2021-08-06&se=${encodeURIComponent(se)}&sr=d&sp=rl&sdd=7&sig=${encodeURIComponent(this.#sign(rootPath, se))}`,
      partitionType: 'Default',
      blobCount,
      blobs: Array.from({ length: blobCount }, (_, k) => ({ name: `part-${String(k).padStart(5, '0')}-${id}.c000.json.gz`, partitionValue: 'default' })),
      totalLines,
      linesPerBlob: o.linesPerBlob,
      request,
    };
    this.#manifests.set(id, manifest);
    this.#byRoot.set(rootPath, manifest);
    return manifest;
  }

  #sign(rootPath: string, se: string): string {
    return createHmac('sha256', this.#sasKey).update(`${rootPath}\n${se}`).digest('base64');
  }

  #nextId(kind: string): string {
    return new Rng(seedFrom(this.#options.seed, kind, this.#counter++)).uuid();
  }
}
