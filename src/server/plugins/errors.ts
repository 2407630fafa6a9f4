import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiProblem, type FieldError } from '../problem.ts';

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Turn an ajv error into a JSON-pointer-ish field name a person can find in their payload. */
function fieldOf(error: AjvError, context: string | undefined): string {
  const base = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const child = (error.params.missingProperty ?? error.params.additionalProperty) as string | undefined;
  const path = [base, child].filter(Boolean).join('.');
  if (context === 'body') return path || 'body';
  return path || context || 'request';
}

function reasonOf(error: AjvError): string {
  if (error.keyword === 'required') return 'is required';
  if (error.keyword === 'additionalProperties') return 'is not a known field';
  if (error.keyword === 'enum' && Array.isArray(error.params.allowedValues)) {
    return `must be one of ${(error.params.allowedValues as unknown[]).join(', ')}`;
  }
  if (error.keyword === 'const') return `must be ${JSON.stringify(error.params.allowedValue)}`;
  return error.message ?? error.keyword;
}

interface PgError {
  code?: string;
  constraint?: string;
  detail?: string;
}

function fromPostgres(err: PgError): ApiProblem | undefined {
  if (err.code === '23505') {
    return new ApiProblem(409, 'conflict', 'Conflict', `already exists: ${err.detail ?? err.constraint}`, {
      extra: { constraint: err.constraint },
    });
  }
  if (err.code === '23503') {
    return new ApiProblem(409, 'conflict', 'Conflict', `refers to or is referred to by another record: ${err.detail ?? err.constraint}`);
  }
  if (err.code === '23514' || err.code === '22P02' || err.code === '22007' || err.code === '22003') {
    return new ApiProblem(400, 'validation', 'Invalid request', `rejected by the database: ${err.detail ?? err.constraint ?? 'invalid value'}`);
  }
  return undefined;
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: ApiProblem) {
  return reply
    .code(problem.status)
    .type('application/problem+json')
    .send({
      type: `/problems/${problem.slug}`,
      title: problem.title,
      status: problem.status,
      detail: problem.message,
      instance: request.url,
      requestId: request.id,
      ...(problem.field ? { field: problem.field } : {}),
      ...(problem.errors ? { errors: problem.errors } : {}),
      ...(problem.extra ?? {}),
    });
}

/** One place that maps every error of the HTTP layer to problem+json. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError & PgError, request, reply) => {
    if (err instanceof ApiProblem) return sendProblem(request, reply, err);
    if (err.validation) {
      const errors: FieldError[] = (err.validation as unknown as AjvError[]).map((e) => ({
        field: fieldOf(e, err.validationContext),
        reason: reasonOf(e),
      }));
      const first = errors[0]!;
      return sendProblem(
        request,
        reply,
        new ApiProblem(400, 'validation', 'Invalid request', errors.map((e) => `${e.field}: ${e.reason}`).join('; '), {
          field: first.field,
          errors,
        }),
      );
    }
    const pgProblem = fromPostgres(err);
    if (pgProblem) return sendProblem(request, reply, pgProblem);
    if (err.statusCode && err.statusCode < 500) {
      const slug = err.statusCode === 415 ? 'unsupported-media-type' : err.statusCode === 413 ? 'payload-too-large' : 'bad-request';
      return sendProblem(request, reply, new ApiProblem(err.statusCode, slug, 'Bad request', err.message));
    }
    request.log.error({ err }, 'unhandled error');
    return sendProblem(request, reply, new ApiProblem(500, 'internal', 'Internal error', 'an unexpected error occurred; quote the requestId when reporting it'));
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, new ApiProblem(404, 'not-found', 'Not found', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );
}
