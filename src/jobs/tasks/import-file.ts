import type { HubContext } from '../../context.ts';
import { sweepOrphanUploads } from '../../db/import-uploads.ts';
import { runImport } from '../../db/ingest/partner-center-file.ts';

export interface ImportFilePayload {
  importId: string;
  requestId?: string | null;
}

/** Import a file the API stored and registered (POST /v1/imports/partner-center, `hub import`). */
export async function importFile(payload: ImportFilePayload, ctx: HubContext): Promise<void> {
  const result = await runImport(ctx, payload.importId, { requestId: payload.requestId ?? null });
  ctx.logger.info({ importId: result.importId, kind: result.kind, accepted: result.accepted, duplicates: result.duplicates, rejected: result.rejected }, 'import finished');
}

export const SWEEP_UPLOADS_TASK = 'imports:sweep_uploads';

/** Long enough that only an abandoned upload is this idle; a live one writes a chunk a megabyte. */
const UPLOAD_IDLE_MS = 6 * 60 * 60_000;

export async function sweepUploads(ctx: HubContext): Promise<void> {
  const deleted = await sweepOrphanUploads(ctx.db, UPLOAD_IDLE_MS);
  if (deleted > 0) ctx.logger.info({ uploads: deleted }, 'deleted the stored chunks of abandoned or finished uploads');
}
