import { z } from 'zod';
import { ToolError } from '../../../errors.ts';
import type { JsonObject, JsonValue } from '../../../schema/json.ts';
import type { TableState } from '../../../state/table-state.ts';
import { pyDumps } from '../../tau-bench/py-format.ts';
import type { DomainTool, EnvFunction, Side } from '../../domain.ts';
import { MOCK_TASK_STATUSES, type MockNotification, type MockRecords, type MockTask } from './tables.ts';

// τ²-bench mock's tools (tau2/domains/mock/tools.py, user_tools.py), re-implemented from their
// semantics. Results are what τ²'s `Environment.to_json_str` makes of them: strings as they are,
// pydantic models as `json.dumps(model_dump())` (Python separators, ASCII escapes, field order).

type MockState = TableState<MockRecords>;

/** A task as τ²'s `Task.model_dump()`: field order, `description` defaulting to null. */
export function taskDump(task: Readonly<MockTask>): JsonObject {
  return { task_id: task.task_id, title: task.title, description: task.description ?? null, status: task.status };
}

/** A user as τ²'s `User.model_dump()`. */
export function userDump(user: Readonly<MockRecords['users']>): JsonObject {
  return { user_id: user.user_id, name: user.name, tasks: [...user.tasks] };
}

/** A notification as τ²'s `Notification.model_dump()`: `status` defaults to unread, `task_id` to null. */
export function notificationDump(notification: Readonly<MockNotification>): JsonObject {
  return {
    notification_id: notification.notification_id,
    message: notification.message,
    status: notification.status ?? 'unread',
    task_id: notification.task_id ?? null,
  };
}

/** Python's class names of the two databases, for the errors τ² raises when a side works on the other's. */
const DB_CLASS: Record<Side, string> = { agent: 'MockDB', user: 'MockUserDB' };

/** Which side's database a side's toolkit works on (its own unless `initialization_data` re-pointed it). */
export function databaseOf(state: TableState, side: Side): Side {
  const alias = state.get('db_alias', side);
  return alias ? (alias.same_as as Side) : side;
}

/** Refuses as Python does when a side's toolkit points at the other database, which lacks `attribute`. */
function ownDatabase(state: MockState, side: Side, attribute: string): void {
  const db = databaseOf(state.untyped(), side);
  if (db !== side) throw new ToolError(`'${DB_CLASS[db]}' object has no attribute '${attribute}'`);
}

const json = (value: JsonValue): string => pyDumps(value);

/** The agent's tools. */
// biome-ignore lint/suspicious/noExplicitAny: a tool list mixes inputs; each tool's zod schema types its own calls.
export function createMockAgentTools(): DomainTool<any, MockRecords>[] {
  return [
    {
      name: 'create_task',
      description: 'Create a new task for a user. Fails when the user is not found. Returns the created task.',
      kind: 'write',
      input: z.object({
        user_id: z.string().describe('The ID of the user creating the task'),
        title: z.string().describe('The title of the task'),
        description: z.string().nullable().optional().describe('Optional description of the task'),
      }),
      execute(state, input: { user_id: string; title: string; description?: string | null }) {
        ownDatabase(state, 'agent', 'users');
        if (!state.has('users', input.user_id)) throw new ToolError(`User ${input.user_id} not found`);
        // τ² numbers a new task by the count of tasks, so a gap in the numbering overwrites a task.
        const taskId = `task_${state.keys('tasks').length + 1}`;
        const task: MockTask = { task_id: taskId, title: input.title, description: input.description ?? null, status: 'pending' };
        state.put('tasks', taskId, task);
        state.mutable('users', input.user_id)!.tasks.push(taskId);
        return json(taskDump(task));
      },
    },
    {
      name: 'get_users',
      description: 'Get all users in the database.',
      kind: 'read',
      input: z.object({}),
      execute(state) {
        ownDatabase(state, 'agent', 'users');
        return json(state.rows('users').map(userDump));
      },
    },
    {
      name: 'update_task_status',
      description: 'Update the status of a task. Fails when the task is not found. Returns the updated task.',
      kind: 'write',
      input: z.object({
        task_id: z.string().describe('The ID of the task to update'),
        status: z.enum(MOCK_TASK_STATUSES).describe('The new status of the task'),
      }),
      execute(state, input: { task_id: string; status: string }) {
        ownDatabase(state, 'agent', 'tasks');
        const task = state.mutable('tasks', input.task_id);
        if (!task) throw new ToolError(`Task ${input.task_id} not found`);
        task.status = input.status;
        return json(taskDump(task));
      },
    },
    {
      name: 'transfer_to_human_agents',
      description:
        "Transfer the user to a human agent, with a summary of the user's issue. Only transfer if the user explicitly asks for a human agent, or if, given the policy and the available tools, you cannot solve the user's issue.",
      kind: 'read',
      terminal: true,
      input: z.object({ summary: z.string().describe("A summary of the user's issue.") }),
      execute: () => 'Transfer successful',
    },
  ];
}

/** The user's tools: its notification inbox. */
// biome-ignore lint/suspicious/noExplicitAny: a tool list mixes inputs; each tool's zod schema types its own calls.
export function createMockUserTools(): DomainTool<any, MockRecords>[] {
  return [
    {
      name: 'check_notifications',
      description: "Check all notifications in the user's inbox. Returns a list of all notifications.",
      kind: 'read',
      input: z.object({}),
      execute(state) {
        ownDatabase(state, 'user', 'notifications');
        return json(state.rows('notifications').map(notificationDump));
      },
    },
    {
      name: 'dismiss_notification',
      description: 'Dismiss (mark as read) a notification. Fails when the notification is not found.',
      kind: 'write',
      input: z.object({ notification_id: z.string().describe('The ID of the notification to dismiss.') }),
      execute(state, input: { notification_id: string }) {
        ownDatabase(state, 'user', 'notifications');
        const notification = state.mutable('notifications', input.notification_id);
        if (!notification) throw new ToolError(`Notification ${input.notification_id} not found`);
        notification.status = 'read';
        return `Notification ${input.notification_id} dismissed`;
      },
    },
  ];
}

const str = (args: Record<string, JsonValue>, name: string): string => String(args[name]);

/** τ²'s non-tool functions of the agent's toolkit (assertions of the tasks' `env_assertions`). */
export const MOCK_AGENT_FUNCTIONS: Readonly<Record<string, EnvFunction>> = {
  assert_number_of_tasks(state, args) {
    const user = state.get('users', str(args, 'user_id'));
    if (!user) throw new ToolError(`User ${str(args, 'user_id')} not found`);
    return (user.tasks as string[]).length === args.expected_number;
  },
  assert_task_status(state, args) {
    const task = state.get('tasks', str(args, 'task_id'));
    if (!task) throw new ToolError(`Task ${str(args, 'task_id')} not found`);
    return task.status === args.expected_status;
  },
};

/** τ²'s non-tool functions of the user's toolkit: an initialisation action and an assertion. */
export const MOCK_USER_FUNCTIONS: Readonly<Record<string, EnvFunction>> = {
  add_notification(state, args) {
    const notification: MockNotification = {
      notification_id: str(args, 'notification_id'),
      message: str(args, 'message'),
      status: 'unread',
      task_id: args.task_id === undefined || args.task_id === null ? null : str(args, 'task_id'),
    };
    state.put('notifications', notification.notification_id, notification);
    return notificationDump(notification);
  },
  assert_notification_status(state, args) {
    const notification = state.get('notifications', str(args, 'notification_id'));
    if (!notification) throw new ToolError(`Notification ${str(args, 'notification_id')} not found`);
    return (notification.status ?? 'unread') === args.expected_status;
  },
};
