import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type, { type Static } from 'typebox';
import type { Selectable } from 'kysely';
import type { HubContext } from '../../context.ts';
import type { Database } from '../../db/types.ts';
import { randomUUID } from 'node:crypto';
import { HeaderError, registerUpload, type FileFormat } from '../../db/ingest/partner-center-file.ts';
import { deleteUpload, storeUpload, UploadLimitError } from '../../db/import-uploads.ts';
import { actorOf } from '../plugins/auth.ts';
import { claimIdempotencyKey } from '../plugins/idempotency.ts';
import { ApiProblem, notFound } from '../problem.ts';
import { PageQuery, decodeCursor, pageOf, paginate } from '../pagination.ts';

const MEDIA_TYPES: Record<string, FileFormat> = {
  'text/csv': 'csv',
  'application/x-ndjson': 'jsonl',
  'application/jsonl': 'jsonl',
};

const Uuid = Type.String({ format: 'uuid' });
const Kind = Type.Union([Type.Literal('usage'), Type.Literal('license')], { description: 'usage: daily rated usage; license: new-commerce licence reconciliation' });

const ImportErrorSchema = Type.Object({
  row: Type.Integer({ description: 'CSV: the row as a spreadsheet shows it (the header is row 1, the first data row is row 2). JSON lines: the line number.' }),
  field: Type.String({ description: "Microsoft's column name, or `row` for a row that could not be read at all" }),
  reason: Type.String(),
});

export const ImportResultSchema = Type.Object(
  {
    importId: Uuid,
    kind: Kind,
    accepted: Type.Integer({ description: 'Lines newly stored or revised, late lines for closed periods included' }),
    duplicates: Type.Integer({ description: 'Lines already stored with the same values' }),
    rejected: Type.Integer({ description: 'Rows refused; each has at least one entry in errors' }),
    errors: Type.Array(ImportErrorSchema, { description: 'The first 1,000 problems, in file order' }),
  },
  { $id: 'ImportResult' },
);

const ImportAcceptedSchema = Type.Object({
  importId: Uuid,
  kind: Kind,
  status: Type.Literal('queued'),
  bytes: Type.Integer(),
  rows: Type.Integer({ description: 'Data rows counted as the file arrived' }),
});

export const ImportRecordSchema = Type.Object(
  {
    id: Uuid,
    kind: Kind,
    format: Type.Union([Type.Literal('csv'), Type.Literal('jsonl')]),
    sourceName: Type.Union([Type.String(), Type.Null()]),
    status: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed')]),
    createCustomers: Type.Boolean({ description: 'Whether CustomerIds the hub did not know became customers (otherwise their rows were rejected)' }),
    expectedRows: Type.Union([Type.Integer(), Type.Null()], { description: 'Data rows counted as the file arrived: progress is rows of expectedRows' }),
    rows: Type.Integer({ description: 'Data rows read so far' }),
    accepted: Type.Integer(),
    duplicates: Type.Integer(),
    rejected: Type.Integer(),
    errorCount: Type.Integer({ description: 'Every problem found; `errors` keeps the first 1,000' }),
    errors: Type.Optional(Type.Array(ImportErrorSchema)),
    failure: Type.Union([Type.String(), Type.Null()]),
    requestedBy: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
    finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { $id: 'ImportRecord' },
);

type ImportRow = Selectable<Database['imports']>;

function toRecord(row: ImportRow, withErrors: boolean): Static<typeof ImportRecordSchema> {
  return {
    id: row.id,
    kind: row.kind as 'usage' | 'license',
    format: row.format as 'csv' | 'jsonl',
    sourceName: row.source_name,
    status: row.status as 'queued' | 'running' | 'completed' | 'failed',
    createCustomers: row.create_customers,
    expectedRows: row.expected_rows,
    rows: row.rows_total,
    accepted: row.accepted,
    duplicates: row.duplicates,
    rejected: row.rejected,
    errorCount: row.error_count,
    ...(withErrors ? { errors: row.errors as Static<typeof ImportErrorSchema>[] } : {}),
    failure: row.failure,
    requestedBy: row.requested_by,
    createdAt: row.created_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
  };
}

const fileBody = (mediaType: string, what: string) => ({
  schema: { description: what, contentMediaType: mediaType },
});

export async function importRoutes(app: FastifyInstance, ctx: HubContext): Promise<void> {
  app.addSchema(ImportResultSchema);
  app.addSchema(ImportRecordSchema);
  const readers = ['admin', 'billing_ops', 'finance', 'auditor'] as const;

  await app.register(async (scope) => {
    // The file as exported: the raw stream, stored as it arrives (never buffered whole). JSON bodies are not imports (415).
    scope.removeAllContentTypeParsers();
    for (const mediaType of Object.keys(MEDIA_TYPES)) scope.addContentTypeParser(mediaType, (_req, payload, done) => done(null, payload));
    const r = scope.withTypeProvider<TypeBoxTypeProvider>();
    r.post(
      '/v1/imports/partner-center',
      {
        config: { auth: { roles: ['admin', 'billing_ops'] }, idempotent: 'after-body' },
        schema: {
          tags: ['imports'],
          summary: 'Upload a Partner Center reconciliation file to import',
          description:
            'The daily-rated-usage or the licence reconciliation file as downloaded from the Partner Center portal ' +
            '(`text/csv`, UTF-8, a BOM is fine), or the same lines as JSON lines (`application/x-ndjson` or `application/jsonl`). ' +
            'The file is stored as it arrives and imported by a job: the answer is 202 with the import id; follow the import at ' +
            '`GET /v1/imports/{id}` (status queued, running, completed or failed; rows of expectedRows read so far; the counts and ' +
            'the first 1,000 problems). A file over HUB_IMPORT_MAX_BYTES is 413 and one with more data rows than HUB_IMPORT_MAX_ROWS ' +
            'is 400, each naming the limit. The kind is detected from the header; an unrecognised header is 400 naming `header` ' +
            'and the missing columns. Numbers as plain decimals or en-US with thousands separators (1,234.56); dates as the portal ' +
            'writes them (`10/1/2026 0:00`) or ISO 8601. Rows for a CustomerId the hub does not know are rejected unless ' +
            '`createCustomers=true`, which creates the customer from CustomerId and CustomerName and links it. Bad rows are ' +
            'reported with their row number and never block the good ones; importing the same file again adds nothing (all ' +
            'duplicates). Lines for a closed period are stored as late.',
          querystring: Type.Object(
            {
              sourceName: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'The file name, recorded on the import' })),
              createCustomers: Type.Optional(
                Type.Boolean({ default: false, description: 'Create a customer for each CustomerId the hub does not know; otherwise its rows are rejected' }),
              ),
            },
            { additionalProperties: false },
          ),
          body: {
            content: {
              'text/csv': fileBody('text/csv', 'The reconciliation file as exported (CSV with a header row)'),
              'application/x-ndjson': fileBody('application/x-ndjson', 'One line object per line'),
              'application/jsonl': fileBody('application/jsonl', 'One line object per line'),
            },
          },
          response: { 202: ImportAcceptedSchema },
        },
      },
      async (request, reply) => {
        const format = MEDIA_TYPES[request.mediaType ?? ''];
        const body = request.body as unknown;
        if (!format || !isStream(body)) {
          throw new ApiProblem(415, 'unsupported-media-type', 'Unsupported media type', `send the file as ${Object.keys(MEDIA_TYPES).join(', ')}`, { field: 'content-type' });
        }
        const importId = randomUUID();
        const limits = { maxBytes: ctx.config.importMaxBytes, maxRows: ctx.config.importMaxRows };
        let stored;
        try {
          stored = await storeUpload(ctx.db, importId, body, format, limits);
        } catch (err) {
          if (!(err instanceof UploadLimitError)) throw err;
          // Stop reading: the rest of an oversized body is not wanted.
          reply.header('connection', 'close');
          const status = err.limit === 'HUB_IMPORT_MAX_BYTES' ? 413 : 400;
          throw new ApiProblem(status, status === 413 ? 'payload-too-large' : 'validation', status === 413 ? 'Payload too large' : 'Invalid request', `body: ${err.message}`, {
            field: 'body',
            errors: [{ field: 'body', reason: err.message }],
            extra: { limit: err.limit, max: err.max },
          });
        }
        // A retry of an earlier upload (replayed, or refused for another file) keeps nothing of its own.
        const replayed = await claimIdempotencyKey(ctx.db, request, reply, stored.sha256).catch(async (err: unknown) => {
          await deleteUpload(ctx.db, importId);
          throw err;
        });
        if (replayed) {
          await deleteUpload(ctx.db, importId);
          return reply;
        }
        try {
          const { kind } = await registerUpload(ctx.db, importId, stored, {
            format,
            sourceName: request.query.sourceName ?? null,
            createCustomers: request.query.createCustomers ?? false,
            actor: actorOf(request),
          });
          return reply.code(202).header('location', `/v1/imports/${importId}`).send({ importId, kind, status: 'queued' as const, bytes: stored.bytes, rows: stored.rows });
        } catch (err) {
          if (err instanceof HeaderError) {
            throw new ApiProblem(400, 'validation', 'Invalid request', `header: ${err.message}`, {
              field: 'header',
              errors: [{ field: 'header', reason: err.message }],
              extra: { missingColumns: err.missingColumns },
            });
          }
          throw err;
        }
      },
    );
  });

  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get(
    '/v1/imports',
    {
      config: { auth: { roles: [...readers] } },
      schema: {
        tags: ['imports'],
        summary: 'File imports, newest first',
        querystring: Type.Object({ ...PageQuery }, { additionalProperties: false }),
        response: { 200: pageOf(Type.Ref('ImportRecord')) },
      },
    },
    async (request) => {
      const { limit = 50, cursor } = request.query;
      const position = decodeCursor(cursor);
      let query = ctx.db.selectFrom('imports').selectAll();
      if (position) query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(position.createdAt, position.id)));
      const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
      const page = paginate(rows, limit);
      return { items: page.rows.map((row) => toRecord(row, false)), nextCursor: page.nextCursor };
    },
  );

  r.get(
    '/v1/imports/:id',
    {
      config: { auth: { roles: [...readers] } },
      schema: {
        tags: ['imports'],
        summary: 'One import, with the first 1,000 problems it found',
        params: Type.Object({ id: Uuid }),
        response: { 200: Type.Ref('ImportRecord') },
      },
    },
    async (request) => {
      const row = await ctx.db.selectFrom('imports').selectAll().where('id', '=', request.params.id).executeTakeFirst();
      if (!row) throw notFound('import', request.params.id);
      return toRecord(row, true);
    },
  );
}

function isStream(value: unknown): value is AsyncIterable<Uint8Array> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
