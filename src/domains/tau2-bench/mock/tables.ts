import { z } from 'zod';
import type { RecordsOf } from '../../../state/table-state.ts';

/**
 * τ²-bench mock's two databases as tables of one state. Agent side (τ²'s `MockDB`): `tasks` and
 * `users`; user side (`MockUserDB`): `notifications`. Records are stored as loaded or written; the
 * model's defaults (a task's `description`, a notification's `status` and `task_id`) are filled in
 * when a record is shown (`taskDump`, `notificationDump`).
 */

/** τ²'s `TaskStatus`. Its tools do not check it (a plain Python call), so any string can be stored. */
export const MOCK_TASK_STATUSES = ['pending', 'completed'] as const;

/** `tasks` (key: `task_id`). */
export const mockTaskSchema = z.object({
  task_id: z.string(),
  title: z.string(),
  description: z.string().nullable().optional(),
  status: z.string(),
});

/** `users` (key: `user_id`). */
export const mockUserSchema = z.object({
  user_id: z.string(),
  name: z.string(),
  tasks: z.array(z.string()),
});

/** `notifications` (key: `notification_id`), the user's inbox. */
export const mockNotificationSchema = z.strictObject({
  notification_id: z.string(),
  message: z.string(),
  status: z.string().optional(),
  task_id: z.string().nullable().optional(),
});

/**
 * `db_alias` (key: the side whose database was replaced): τ²'s `set_state` points the other side's
 * toolkit at the database it just updated from `initialization_data` (`user_tools.db = tools.db`
 * after an `agent_data` update). From then on that side works on, and dumps, the other side's database.
 */
export const mockDbAliasSchema = z.strictObject({ same_as: z.enum(['agent', 'user']) });

export const MOCK_AGENT_TABLES = { tasks: mockTaskSchema, users: mockUserSchema } as const;
export const MOCK_USER_TABLES = { notifications: mockNotificationSchema } as const;
export const MOCK_TABLES = { ...MOCK_AGENT_TABLES, ...MOCK_USER_TABLES, db_alias: mockDbAliasSchema } as const;

export type MockRecords = RecordsOf<typeof MOCK_TABLES>;
export type MockTask = z.infer<typeof mockTaskSchema>;
export type MockNotification = z.infer<typeof mockNotificationSchema>;
