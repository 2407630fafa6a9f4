import type { HubContext } from '../../context.ts';
import type { ConnectWiseClient } from '../../connectors/connectwise/client.ts';
import type { AgreementAddition } from '../../connectors/connectwise/types.ts';
import { recordTodoWritten } from '../../db/psa-todos.ts';
import type { ConnectWiseSeatWrite } from '../../mappings/connectwise/seat-write.ts';
import { enqueueJob } from '../enqueue.ts';
import { connectwiseClientFor } from './client-for-connection.ts';

export const WRITE_TODO_TASK = 'connectwise:write_todo';

export interface WriteTodoPayload {
  todoId: string;
}

export type WriteOutcome = 'written' | 'already_applied' | 'not_approved';

/** One job per to-do: an approval delivered twice still queues one write. */
export async function enqueueTodoWrite(db: Parameters<typeof enqueueJob>[0], todoId: string): Promise<void> {
  await enqueueJob(db, WRITE_TODO_TASK, { todoId }, { jobKey: `${WRITE_TODO_TASK}:${todoId}`, maxAttempts: 10 });
}

const same = (a: unknown, b: unknown) => (a === null || a === undefined ? b === null || b === undefined : String(a) === String(b) || Number(a) === Number(b));

/** Whether ConnectWise already shows what the write would make (read back before writing). */
async function alreadyApplied(client: ConnectWiseClient, write: ConnectWiseSeatWrite): Promise<{ applied: boolean; recordId: string | null }> {
  if (write.method === 'PATCH') {
    const current = await client.get<Record<string, unknown>>('finance.agreements.additions.get', write.path);
    if (!current) throw new Error(`ConnectWise has no addition at ${write.path}: reconcile again`);
    return { applied: write.operations.every((op) => same(current[op.path], op.value)), recordId: String(current.id) };
  }
  for await (const page of client.pages<AgreementAddition>('finance.agreements.additions.list', write.path)) {
    const match = page.items.find((a) => !a.cancelledDate && String(a.product.identifier) === write.body.product.identifier && Number(a.quantity) === write.body.quantity);
    if (match) return { applied: true, recordId: String(match.id) };
  }
  return { applied: false, recordId: null };
}

/**
 * `connectwise:write_todo`: makes an approved to-do's write, once. It reads ConnectWise
 * back first, so a job re-run after a crash between the write and its bookkeeping finds
 * the seats already there and writes nothing; then marks the to-do written and audits
 * it with the person who approved it.
 */
export async function writeSeatTodo(payload: WriteTodoPayload, ctx: HubContext, options: { client?: ConnectWiseClient } = {}): Promise<WriteOutcome> {
  const todo = await ctx.db.selectFrom('psa_todos').selectAll().where('id', '=', payload.todoId).executeTakeFirst();
  if (!todo || todo.status !== 'approved') return 'not_approved';
  const write = todo.planned_write as unknown as ConnectWiseSeatWrite;
  const client = options.client ?? (await connectwiseClientFor(ctx, todo.connection_id)).client;
  const before = await alreadyApplied(client, write);
  let recordId = before.recordId;
  if (!before.applied) {
    const record =
      write.method === 'PATCH'
        ? await client.patch<{ id: number | string }>('finance.agreements.additions.patch', write.path, write.operations)
        : await client.post<{ id: number | string }>('finance.agreements.additions.create', write.path, write.body);
    recordId = String(record.id);
  }
  const outcome: WriteOutcome = before.applied ? 'already_applied' : 'written';
  await recordTodoWritten(ctx.db, todo, WRITE_TODO_TASK, { outcome, recordId, write });
  return outcome;
}
