import type { HubContext } from '../../context.ts';
import type { AutotaskClient } from '../../connectors/autotask/client.ts';
import type { ContractService } from '../../connectors/autotask/types.ts';
import { recordTodoWritten } from '../../db/psa-todos.ts';
import { Decimal } from '../../engine/decimal.ts';
import type { AutotaskSeatWrite } from '../../mappings/autotask/seat-write.ts';
import { enqueueJob } from '../enqueue.ts';
import { autotaskClientFor } from './client-for-connection.ts';
import { unitsOn } from './seat-lines.ts';

export const AUTOTASK_WRITE_TODO_TASK = 'autotask:write_todo';

export interface AutotaskWriteTodoPayload {
  todoId: string;
}

export type AutotaskWriteOutcome = 'written' | 'already_applied' | 'not_approved';

/** One job per to-do: an approval delivered twice still queues one write. */
export async function enqueueAutotaskTodoWrite(db: Parameters<typeof enqueueJob>[0], todoId: string): Promise<void> {
  await enqueueJob(db, AUTOTASK_WRITE_TODO_TASK, { todoId }, { jobKey: `${AUTOTASK_WRITE_TODO_TASK}:${todoId}`, maxAttempts: 10 });
}

/**
 * Whether Autotask already shows what the write would make. An adjustment cannot be
 * read (create only), so its effect is: the service's units on the company's contracts
 * on the effective date equal the target. A price: the service's adjusted price.
 */
async function alreadyApplied(client: AutotaskClient, write: AutotaskSeatWrite): Promise<boolean> {
  if (write.method === 'PATCH') {
    const service = await client.get<ContractService>('ContractServices', write.body.id);
    if (!service) throw new Error(`Autotask has no contract service ${write.body.id}: reconcile again`);
    return service.adjustedPrice !== null && service.adjustedPrice !== undefined && new Decimal(service.adjustedPrice).equals(write.body.adjustedPrice);
  }
  const units = await unitsOn(client, { contractIDs: write.expect.contractIDs, serviceID: write.expect.serviceID }, write.expect.on);
  const total = [...units.values()].reduce((sum, n) => sum + n, 0);
  return total === write.expect.units;
}

/**
 * `autotask:write_todo`: makes an approved to-do's write, once. It reads Autotask back
 * first, so a job re-run after a crash between the write and its bookkeeping finds the
 * units already there and adjusts nothing (the client never retries a create itself);
 * then marks the to-do written and audits it with the person who approved it.
 */
export async function writeAutotaskSeatTodo(payload: AutotaskWriteTodoPayload, ctx: HubContext, options: { client?: AutotaskClient } = {}): Promise<AutotaskWriteOutcome> {
  const todo = await ctx.db.selectFrom('psa_todos').selectAll().where('id', '=', payload.todoId).executeTakeFirst();
  if (!todo || todo.status !== 'approved') return 'not_approved';
  const write = todo.planned_write as unknown as AutotaskSeatWrite;
  const client = options.client ?? (await autotaskClientFor(ctx, todo.connection_id)).client;
  const applied = await alreadyApplied(client, write);
  const recordId = applied ? null : write.method === 'PATCH' ? await client.update(write.path, write.body) : await client.create(write.path, write.body);
  const outcome: AutotaskWriteOutcome = applied ? 'already_applied' : 'written';
  await recordTodoWritten(ctx.db, todo, AUTOTASK_WRITE_TODO_TASK, { outcome, recordId, write });
  return outcome;
}
