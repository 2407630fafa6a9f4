import { AjvCompiler } from '@fastify/ajv-compiler';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

type ValidatorFactory = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']>;
type PoolOptions = Parameters<ReturnType<typeof AjvCompiler>>[1];

/**
 * Validators that coerce only where HTTP itself is text. A query string, path parameter
 * or header arrives as a string, so `?limit=5` must become the integer 5 its schema
 * declares; a JSON body already carries its types, and a billing API must refuse
 * `{"name": 42}` or `{"markupPercent": 15}` instead of storing "42" or "15".
 */
export function textCoercingValidators(): ValidatorFactory {
  const fromPool = AjvCompiler();
  const built = new Map<string, (route: { httpPart?: string }) => Validate>();
  return (externalSchemas, options) => {
    // Once a schema is added, Fastify asks again for every route, and the pool finds its
    // compiler by stringifying every shared schema twice a route: most of the app's start.
    // A schema bucket only grows and refuses a second schema under one $id, so its ids
    // say what it holds (the ajv options are the app's, the same on every call).
    const key = Object.keys(externalSchemas ?? {}).join('\n');
    const known = built.get(key);
    if (known) return known as never;
    const withCoercion = (coerceTypes: 'array' | false) => ({ ...options, customOptions: { ...options?.customOptions, coerceTypes } }) as PoolOptions;
    const text = fromPool(externalSchemas, withCoercion('array'));
    const json = fromPool(externalSchemas, withCoercion(false));
    // The pool's types describe a plain compile(schema); it is called with the route definition.
    const compile = (route: { httpPart?: string }) => lazyValidator(() => (route.httpPart === 'body' ? json : text)(route as never) as Validate);
    built.set(key, compile);
    return compile as never;
  };
}

type Validate = ((data: unknown) => boolean) & { errors?: unknown };

/**
 * A validator compiled on its first call instead of when the app becomes ready: ajv
 * compiling every route's schemas at start took seconds and left V8's heap tens of MB
 * larger for the process's life, while a process serves few of its routes (the close's
 * worker none). Fastify reads `errors` off the function it was given after a failure.
 */
function lazyValidator(compile: () => Validate): Validate {
  let validate: Validate | undefined;
  const lazy: Validate = (data) => {
    validate ??= compile();
    const valid = validate(data);
    lazy.errors = validate.errors;
    return valid;
  };
  return lazy;
}

type SerializerFactory = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildSerializer']>;
type Serialize = (data: unknown) => string;

/**
 * Fastify's own response serializers (fast-json-stringify), each compiled on its first
 * response instead of when the app becomes ready, for the reason lazyValidator gives.
 */
export function lazySerializers(): SerializerFactory {
  const fromPool = SerializerSelector();
  return (externalSchemas, options) => {
    const build = fromPool(externalSchemas, options);
    const compile = (route: unknown) => {
      let serialize: Serialize | undefined;
      return (data: unknown) => (serialize ??= build(route as never) as Serialize)(data);
    };
    return compile as never;
  };
}
