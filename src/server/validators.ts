import { AjvCompiler } from '@fastify/ajv-compiler';
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
  return (externalSchemas, options) => {
    const withCoercion = (coerceTypes: 'array' | false) => ({ ...options, customOptions: { ...options?.customOptions, coerceTypes } }) as PoolOptions;
    const text = fromPool(externalSchemas, withCoercion('array'));
    const json = fromPool(externalSchemas, withCoercion(false));
    // The pool's types describe a plain compile(schema); it is called with the route definition.
    const compile = (route: { httpPart?: string }) => (route.httpPart === 'body' ? json : text)(route as never);
    return compile as never;
  };
}
