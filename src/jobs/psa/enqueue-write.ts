import type { Transaction } from 'kysely';
import type { Database } from '../../db/types.ts';
import { enqueueAutotaskTodoWrite } from '../autotask/write-todo.ts';
import { enqueueTodoWrite } from '../connectwise/write-todo.ts';

/** Queues the write of an approved to-do with the job of its connection's PSA. */
export async function enqueuePsaTodoWrite(trx: Transaction<Database>, todo: { id: string; connection_id: string }): Promise<void> {
  const connection = await trx.selectFrom('connections').select('provider').where('id', '=', todo.connection_id).executeTakeFirstOrThrow();
  if (connection.provider === 'autotask') await enqueueAutotaskTodoWrite(trx, todo.id);
  else await enqueueTodoWrite(trx, todo.id);
}
