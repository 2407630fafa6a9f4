import type { TaskList } from 'graphile-worker';
import type { HubContext } from '../../context.ts';
import { AUTOTASK_SCHEDULE_TASK, scheduleAutotask } from './schedule.ts';
import { AUTOTASK_SEAT_RECONCILE_TASK, reconcileAutotaskSeats, type AutotaskSeatReconcilePayload } from './seat-reconcile.ts';
import { AUTOTASK_TIME_SYNC_TASK, syncAutotaskTime, type AutotaskTimeSyncPayload } from './time-sync.ts';
import { AUTOTASK_WRITE_TODO_TASK, writeAutotaskSeatTodo, type AutotaskWriteTodoPayload } from './write-todo.ts';

/** The worker's Autotask tasks, kept together so the shared task list gains one line. */
export function autotaskTasks(ctx: HubContext): TaskList {
  return {
    [AUTOTASK_SCHEDULE_TASK]: async () => scheduleAutotask(ctx),
    [AUTOTASK_TIME_SYNC_TASK]: async (payload) => {
      const result = await syncAutotaskTime(payload as AutotaskTimeSyncPayload, ctx);
      ctx.logger.info({ ...(payload as AutotaskTimeSyncPayload), ...result }, 'Autotask time entries synced');
    },
    [AUTOTASK_SEAT_RECONCILE_TASK]: async (payload) => {
      const result = await reconcileAutotaskSeats(payload as AutotaskSeatReconcilePayload, ctx);
      ctx.logger.info({ ...(payload as AutotaskSeatReconcilePayload), ...result }, 'Autotask seats reconciled');
    },
    [AUTOTASK_WRITE_TODO_TASK]: async (payload) => {
      const outcome = await writeAutotaskSeatTodo(payload as AutotaskWriteTodoPayload, ctx);
      ctx.logger.info({ ...(payload as AutotaskWriteTodoPayload), outcome }, 'PSA to-do written');
    },
  };
}
