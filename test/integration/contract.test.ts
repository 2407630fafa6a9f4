import { readFile } from 'node:fs/promises';
import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, it } from 'vitest';
import { generateTableTypes } from '../../src/db/generate-types.ts';
import { renderOpenApi } from '../../src/server/openapi-document.ts';
import { createTestDatabase } from '../helpers/test-database.ts';

describe('the API contract', () => {
  it('openapi/openapi.json matches the routes (run npm run openapi when this fails)', async () => {
    const committed = await readFile(new URL('../../openapi/openapi.json', import.meta.url), 'utf8');
    expect(committed).toBe(await renderOpenApi());
  });

  it('is a valid OpenAPI 3.1 document with bearer auth and problem responses', async () => {
    const doc = JSON.parse(await renderOpenApi());
    const api = (await SwaggerParser.validate(doc)) as { openapi: string; paths: Record<string, Record<string, { security?: unknown }>> };
    expect(api.openapi).toBe('3.1.0');
    expect(api.paths['/v1/customers']?.post?.security).toEqual([{ bearerAuth: [] }]);
    expect(api.paths['/health']?.get?.security).toBeUndefined();
  });

  it('src/db/types.ts matches the migrated schema (run npm run db:types when this fails)', async () => {
    const db = await createTestDatabase({ max: 1 });
    try {
      const committed = await readFile(new URL('../../src/db/types.ts', import.meta.url), 'utf8');
      expect(committed).toBe(await generateTableTypes(db.pool));
    } finally {
      await db.drop();
    }
  });
});
