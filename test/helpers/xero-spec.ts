import { fileURLToPath } from 'node:url';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv } from 'ajv';
import { expect } from 'vitest';

/**
 * A checker of Xero answers against the Xero OpenAPI (test/fixtures/vendor/xero), with
 * every documented object closed, so a sandbox field Xero does not send fails the check.
 *
 * @example const check = await xeroSpecChecker(); check('Invoices', body);
 */
export async function xeroSpecChecker(): Promise<(schema: string, body: unknown) => void> {
  const spec = (await SwaggerParser.parse(fileURLToPath(new URL('../fixtures/vendor/xero/xero_accounting.yaml', import.meta.url)))) as unknown as { components: { schemas: Record<string, object> } };
  closeObjects(spec.components.schemas);
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema(spec, 'xero');
  return (schema, body) => {
    const validate = ajv.getSchema(`xero#/components/schemas/${schema}`)!;
    expect(validate(body), `${schema}: ${JSON.stringify(validate.errors)}`).toBe(true);
  };
}

function closeObjects(node: unknown): void {
  if (Array.isArray(node)) node.forEach(closeObjects);
  else if (node && typeof node === 'object') {
    const schema = node as Record<string, unknown>;
    if (schema.properties && schema.additionalProperties === undefined) schema.additionalProperties = false;
    Object.values(schema).forEach(closeObjects);
  }
}
