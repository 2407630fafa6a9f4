import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// JSON bodies carry their own types, so nothing in one is coerced: a number where a
// string is declared, a string where a number or boolean is, a bare value where an
// array is, each answers 400 naming the field. The walk is generated from the committed
// OpenAPI document (a separate test keeps it equal to the routes), so a new route with
// a JSON body is covered without touching this file.

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  const?: unknown;
  enum?: unknown[];
  $ref?: string;
};
type OpenApi = {
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Schema }> } }>>;
  components?: { schemas?: Record<string, Schema> };
};

const doc = JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8')) as OpenApi;

function resolve(schema: Schema): Schema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.replace('#/components/schemas/', '');
  const target = doc.components?.schemas?.[name];
  if (!target) throw new Error(`unresolved ${schema.$ref}`);
  return resolve(target);
}

const jsonTypeOf = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

/** The JSON types a schema accepts; 'any' when it does not say. */
function acceptedTypes(raw: Schema): Set<string> {
  const schema = resolve(raw);
  const union = [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])];
  if (union.length > 0) return new Set(union.flatMap((s) => [...acceptedTypes(s)]));
  if (schema.allOf?.length) return acceptedTypes(schema.allOf[0]!);
  if (schema.const !== undefined) return new Set([jsonTypeOf(schema.const)]);
  if (schema.enum) return new Set(schema.enum.map(jsonTypeOf));
  if (schema.type === undefined) return new Set(['any']);
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  return new Set(types.flatMap((t) => (t === 'integer' ? ['number'] : [t])));
}

/**
 * A value of a JSON type the schema does not accept, chosen as what Ajv's coercion
 * would have turned into an accepted one (42 → "42", "7" → 7, "true" → true, "x" → ["x"]).
 */
function wrongValue(schema: Schema): unknown {
  const ok = acceptedTypes(schema);
  if (ok.has('any')) return undefined;
  if (ok.has('string') && !ok.has('number')) return 42;
  if (ok.has('number') && !ok.has('string')) return '7';
  if (ok.has('boolean') && !ok.has('string')) return 'true';
  if ((ok.has('array') || ok.has('object')) && !ok.has('string')) return 'x';
  if (!ok.has('boolean')) return true;
  return undefined;
}

interface Probe {
  field: string;
  body: unknown;
}

/** One probe per field (nested objects and array items too): a body where only that field is wrong. */
function probes(raw: Schema, path: string[] = []): Probe[] {
  const schema = resolve(raw);
  const out: Probe[] = [];
  // A body that is a list (POST /v1/fx-rates): probe the fields of its first item.
  const rootItems = path.length === 0 && schema.items ? resolve(schema.items) : undefined;
  if (rootItems?.properties) return probes(rootItems, ['0']);
  const place = (value: unknown, at: string[]): unknown => {
    if (at.length === 0) return value;
    const [head, ...rest] = at;
    return head === '0' ? [place(value, rest)] : { [head!]: place(value, rest) };
  };
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    const at = [...path, name];
    const wrong = wrongValue(child);
    if (wrong !== undefined) out.push({ field: at.join('.'), body: place(wrong, at) });
    const inner = resolve(child);
    if (inner.properties) out.push(...probes(inner, at));
    const items = inner.items ? resolve(inner.items) : undefined;
    if (items?.properties) out.push(...probes(items, [...at, '0']));
  }
  return out;
}

const UUID = '00000000-0000-4000-8000-000000000000';
const urlOf = (template: string): string => template.replace(/\{([A-Za-z]+)\}/g, (_m, name: string) => (name === 'v' ? '1' : UUID));

const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
  Object.entries(ops).flatMap(([method, op]) => {
    const schema = op.requestBody?.content['application/json']?.schema;
    return schema ? [{ method: method.toUpperCase(), path, schema }] : [];
  }),
);

let hub: TestHub;
let key: string;

beforeAll(async () => {
  hub = await createTestHub();
  // Every staff role, so no route answers 403 before it validates.
  key = await hub.keyFor(['admin', 'finance', 'sales_ops', 'billing_ops', 'auditor']);
});
afterAll(() => hub.close());

describe('JSON request bodies', () => {
  it('are declared on the routes the walk expects', () => {
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(expect.arrayContaining(['POST /v1/customers', 'POST /v1/rate-cards', 'PUT /v1/settings/invoice-seller', 'POST /v1/billing-runs']));
    for (const route of routes) expect(probes(route.schema).length, `${route.method} ${route.path} has fields to probe`).toBeGreaterThan(0);
  });

  it('refuse a wrong-typed field with 400 naming it, one field at a time, on every route with a body', async () => {
    let probed = 0;
    for (const route of routes) {
      for (const probe of probes(route.schema)) {
        const res = await hub.app.inject({ method: route.method as 'POST', url: urlOf(route.path), headers: hub.auth(key), payload: probe.body as object });
        const label = `${route.method} ${route.path} ${JSON.stringify(probe.body)}`;
        expect(res.statusCode, label).toBe(400);
        const errors = (res.json().errors ?? []) as { field: string; reason: string }[];
        expect(errors.map((e) => e.field), label).toContain(probe.field);
        probed++;
      }
    }
    expect(probed).toBeGreaterThan(routes.length);
  });

  it('store what was sent: {"name": 42} is refused, not saved as "42"', async () => {
    const res = await hub.app.inject({ method: 'POST', url: '/v1/customers', headers: hub.auth(key), payload: { name: 42 } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ field: 'name', errors: [{ field: 'name', reason: 'must be string' }] });
    const list = await hub.app.inject({ method: 'GET', url: '/v1/customers', headers: hub.auth(key) });
    expect(list.json().items.map((c: { name: string }) => c.name)).not.toContain('42');
  });
});

describe('query strings and path parameters', () => {
  it('are still read as the integers and booleans they declare', async () => {
    const made = await hub.app.inject({ method: 'POST', url: '/v1/customers', headers: hub.auth(key), payload: { name: 'Coercion Ltd' } });
    expect(made.statusCode).toBe(201);
    const page = await hub.app.inject({ method: 'GET', url: '/v1/customers?limit=1', headers: hub.auth(key) });
    expect(page.statusCode).toBe(200);
    expect(page.json().items).toHaveLength(1);
    const bad = await hub.app.inject({ method: 'GET', url: '/v1/customers?limit=many', headers: hub.auth(key) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('limit');
    // A declared boolean and a uuid path parameter pass validation and reach the handler.
    const run = await hub.app.inject({ method: 'GET', url: `/v1/billing-runs/${UUID}?customers=false`, headers: hub.auth(key) });
    expect(run.statusCode).toBe(404);
  });
});
