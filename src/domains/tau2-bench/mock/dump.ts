import type { JsonObject, JsonValue } from '../../../schema/json.ts';
import type { TableState } from '../../../state/table-state.ts';
import type { Side } from '../../domain.ts';
import { MOCK_AGENT_TABLES, MOCK_USER_TABLES, type MockNotification, type MockTask } from './tables.ts';
import { databaseOf, notificationDump, taskDump, userDump } from './tools.ts';

/** One side's database on its own: `{tasks, users}` (τ²'s MockDB) or `{notifications}` (MockUserDB). */
function dumpDatabase(state: TableState, db: Side): JsonObject {
  if (db === 'agent') {
    const tasks: JsonObject = {};
    for (const [key, task] of state.entries('tasks')) tasks[key] = taskDump(task as unknown as MockTask);
    const users: JsonObject = {};
    for (const [key, user] of state.entries('users')) users[key] = userDump(user as never);
    return { tasks, users };
  }
  const notifications: JsonObject = {};
  for (const [key, notification] of state.entries('notifications'))
    notifications[key] = notificationDump(notification as unknown as MockNotification);
  return { notifications };
}

/**
 * τ²'s `model_dump()` of one side's database (agent: `tools.db`, user: `user_tools.db`), with the
 * models' defaults and nulls, from our state. A side whose toolkit `initialization_data` pointed at
 * the other side's database dumps that one, as τ² does.
 */
export function tau2DbDump(state: TableState, side: Side): JsonValue {
  return dumpDatabase(state, databaseOf(state, side));
}

/** The tables of each side's database. */
export const MOCK_SIDE_TABLES: Readonly<Record<Side, readonly string[]>> = {
  agent: Object.keys(MOCK_AGENT_TABLES),
  user: Object.keys(MOCK_USER_TABLES),
};
