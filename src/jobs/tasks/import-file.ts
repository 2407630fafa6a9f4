import type { HubContext } from '../../context.ts';
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
