import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type, { type Static } from 'typebox';
import type { Selectable } from 'kysely';
import type { HubContext } from '../../context.ts';
import type { Database } from '../../db/types.ts';
import { HeaderError, importPartnerCenterFile, type FileFormat } from '../../db/ingest/partner-center-file.ts';
import { actorOf } from '../plugins/auth.ts';
import { ApiProblem, notFound } from '../problem.ts';
import { PageQuery, decodeCursor, pageOf, paginate } from '../pagination.ts';

/** A portal export of a busy month runs to tens of megabytes; 100 MB leaves room. */
export const IMPORT_BODY_LIMIT = 100 * 1024 * 1024;

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

export const ImportRecordSchema = Type.Object(
  {
    id: Uuid,
    kind: Kind,
    format: Type.Union([Type.Literal('csv'), Type.Literal('jsonl')]),
    sourceName: Type.Union([Type.String(), Type.Null()]),
    status: Type.Union([Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed')]),
    rows: Type.Integer({ description: 'Data rows read' }),
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
    status: row.status as 'running' | 'completed' | 'failed',
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
    // The file as exported: raw bytes in, read row by row. JSON bodies are not imports (415).
    scope.removeAllContentTypeParsers();
    for (const mediaType of Object.keys(MEDIA_TYPES)) {
      scope.addContentTypeParser(mediaType, { parseAs: 'buffer', bodyLimit: IMPORT_BODY_LIMIT }, (_req, body, done) => done(null, body));
    }
    const r = scope.withTypeProvider<TypeBoxTypeProvider>();
    r.post(
      '/v1/imports/partner-center',
      {
        bodyLimit: IMPORT_BODY_LIMIT,
        config: { auth: { roles: ['admin', 'billing_ops'] }, idempotent: true },
        schema: {
          tags: ['imports'],
          summary: 'Import a Partner Center reconciliation file',
          description:
            'The daily-rated-usage or the licence reconciliation file as downloaded from the Partner Center portal ' +
            '(`text/csv`, UTF-8, a BOM is fine), or the same lines as JSON lines (`application/x-ndjson` or `application/jsonl`). ' +
            'The kind is detected from the header; an unrecognised header is 400 naming `header` and the missing columns. ' +
            'Dates as the portal writes them (`10/1/2026 0:00`) or ISO 8601. Customers the hub does not know are created from ' +
            'CustomerId and CustomerName and linked. Bad rows are reported with their row number and never block the good ones; ' +
            'importing the same file again adds nothing (all duplicates). Lines for a closed period are stored as late. Up to 100 MB.',
          querystring: Type.Object(
            { sourceName: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'The file name, recorded on the import' })) },
            { additionalProperties: false },
          ),
          body: {
            content: {
              'text/csv': fileBody('text/csv', 'The reconciliation file as exported (CSV with a header row)'),
              'application/x-ndjson': fileBody('application/x-ndjson', 'One line object per line'),
              'application/jsonl': fileBody('application/jsonl', 'One line object per line'),
            },
          },
          response: { 201: Type.Ref('ImportResult') },
        },
      },
      async (request, reply) => {
        const format = MEDIA_TYPES[request.mediaType ?? ''];
        if (!format || !Buffer.isBuffer(request.body)) {
          throw new ApiProblem(415, 'unsupported-media-type', 'Unsupported media type', `send the file as ${Object.keys(MEDIA_TYPES).join(', ')}`, { field: 'content-type' });
        }
        try {
          const result = await importPartnerCenterFile(ctx, { text: request.body, format, sourceName: request.query.sourceName ?? null, actor: actorOf(request) });
          return reply.code(201).send(result);
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
