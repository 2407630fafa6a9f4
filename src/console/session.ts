import type { ConsoleApi } from './api.ts';

/** Who is signed in, as GET /v1/sessions/current says. */
export interface Viewer {
  name: string;
  roles: string[];
  customerId: string | null;
  csrfToken: string;
}

interface Whoami {
  key: { name: string; roles: string[]; customerId: string | null };
  session: { csrfToken: string } | null;
}

/** The viewer, or undefined when the cookie names no live session (the API answered 401). */
export async function currentViewer(api: ConsoleApi): Promise<Viewer | undefined> {
  const answer = await api.call<Whoami>('GET', '/v1/sessions/current');
  if (answer.status === 401 || !answer.body.session) return undefined;
  if (answer.status !== 200) throw new Error(`GET /v1/sessions/current answered ${answer.status}`);
  return { ...answer.body.key, csrfToken: answer.body.session.csrfToken };
}

/** A portal key: one customer, read-only. */
export const isClient = (viewer: Viewer) => viewer.customerId !== null;

export const hasRole = (viewer: Viewer, roles: readonly string[]) => viewer.roles.some((r) => roles.includes(r));
