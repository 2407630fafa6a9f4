import type { FastifyInstance, FastifyRequest } from 'fastify';

// The console reads and writes only through the public REST API: each call is an HTTP
// request to the hub's own /v1 routes (app.inject: the same routing, authentication,
// validation and serialisation an integration partner meets), carrying the browser's
// session cookie, and for writes the CSRF token the browser's form sent.

export interface ApiAnswer<T> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | number | undefined>;
}

/** A problem+json answer the page shows instead of its content. */
export class ApiRefusal extends Error {
  readonly status: number;
  constructor(status: number, detail: string) {
    super(detail);
    this.status = status;
  }
}

export interface ConsoleApi {
  get<T>(url: string): Promise<T>;
  /** A write; `csrf` is the token the form carried (the API refuses the request without it). */
  send<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, csrf: string | undefined, payload?: object): Promise<ApiAnswer<T>>;
  /** Any call, whatever its status (the caller decides). */
  call<T>(method: string, url: string, headers?: Record<string, string>, payload?: object): Promise<ApiAnswer<T>>;
}

export function consoleApi(app: FastifyInstance, request: FastifyRequest): ConsoleApi {
  const cookie = request.headers.cookie;
  const call = async <T>(method: string, url: string, headers: Record<string, string> = {}, payload?: object): Promise<ApiAnswer<T>> => {
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: { ...(cookie ? { cookie } : {}), 'x-request-id': request.id, ...headers },
      ...(payload ? { payload } : {}),
    });
    const type = String(res.headers['content-type'] ?? '');
    const body = (type.includes('json') && res.body ? res.json() : res.body) as T;
    return { status: res.statusCode, body, headers: res.headers };
  };
  const refuseUnlessOk = <T>(answer: ApiAnswer<T>): ApiAnswer<T> => {
    if (answer.status >= 400) {
      const detail = (answer.body as { detail?: string } | undefined)?.detail ?? `the API answered ${answer.status}`;
      throw new ApiRefusal(answer.status, detail);
    }
    return answer;
  };
  return {
    call,
    get: async <T>(url: string) => refuseUnlessOk(await call<T>('GET', url)).body,
    send: async <T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, csrf: string | undefined, payload?: object) =>
      refuseUnlessOk(await call<T>(method, url, csrf ? { 'x-csrf-token': csrf } : {}, method === 'DELETE' ? undefined : (payload ?? {}))),
  };
}

/** A query string from the set values of `params`. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** A list the API pages with cursors. */
export interface ApiPage<T> {
  items: T[];
  nextCursor: string | null;
}

/** The fields of a connection the console shows. */
export interface ConnectionSummary {
  id: string;
  provider: string;
  name: string;
  status: string;
}
