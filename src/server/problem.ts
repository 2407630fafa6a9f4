import Type from 'typebox';

/**
 * The one error type of the HTTP layer. Rendered as RFC 9457 problem+json with a
 * stable `type` (`/problems/<slug>`), so integration partners can branch on it.
 */
export class ApiProblem extends Error {
  readonly status: number;
  readonly slug: string;
  readonly title: string;
  readonly field: string | undefined;
  readonly errors: FieldError[] | undefined;
  readonly extra: Record<string, unknown> | undefined;

  constructor(
    status: number,
    slug: string,
    title: string,
    detail: string,
    options: { field?: string; errors?: FieldError[]; extra?: Record<string, unknown> } = {},
  ) {
    super(detail);
    this.status = status;
    this.slug = slug;
    this.title = title;
    this.field = options.field;
    this.errors = options.errors;
    this.extra = options.extra;
  }
}

export interface FieldError {
  field: string;
  reason: string;
}

export const badRequest = (field: string, reason: string) =>
  new ApiProblem(400, 'validation', 'Invalid request', `${field}: ${reason}`, { field, errors: [{ field, reason }] });
/** 400 naming every offending field (the first one is `field`). */
export const invalidFields = (errors: FieldError[]) =>
  new ApiProblem(400, 'validation', 'Invalid request', errors.map((e) => `${e.field}: ${e.reason}`).join('; '), { field: errors[0]?.field ?? 'body', errors });
export const notFound = (entity: string, id: string) =>
  new ApiProblem(404, 'not-found', 'Not found', `${entity} ${id} does not exist`);
export const conflict = (detail: string, field?: string) =>
  new ApiProblem(409, 'conflict', 'Conflict', detail, field ? { field } : {});
export const forbidden = (detail: string) => new ApiProblem(403, 'forbidden', 'Forbidden', detail);
export const unauthorized = (detail: string) => new ApiProblem(401, 'unauthorized', 'Unauthorized', detail);

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'Stable identifier of the problem kind, e.g. /problems/validation' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    requestId: Type.String(),
    field: Type.Optional(Type.String({ description: 'The offending field, for validation errors and conflicts' })),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), reason: Type.String() }))),
  },
  { $id: 'Problem', additionalProperties: true },
);
