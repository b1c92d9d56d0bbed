import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import type { Domain, DomainTool } from '../domains/domain.ts';
import { initialStateFor } from '../domains/initial-state.ts';
import { createDomain } from '../domains/registry.ts';
import { createTau2MockDomain } from '../domains/tau2-bench/mock/index.ts';
import { createTau2TelecomDomain } from '../domains/tau2-bench/telecom/index.ts';
import { executeSideToolCall } from '../domains/tools.ts';
import { outcomeSchema, type Outcome } from '../schema/outcome.ts';
import { TASK_SCHEMA_VERSION, type SidedCall, type Task, type Tau2Criteria } from '../schema/task.ts';
import type { TerminationReason, Trajectory, TrajectoryEvent } from '../schema/trajectory.ts';
import { freezeTables, TableState } from '../state/table-state.ts';
import { gradeEpisode, GRADER_VERSION } from './grade.ts';
import { regradeEpisode } from './regrade.ts';
import { gradeTau2, tau2ActionMatches, type Tau2NlJudgements } from './tau2.ts';
import type { JsonValue } from '../schema/json.ts';

// Reference values come from τ²'s own evaluator (TAU2_REFERENCE below says how they were made);
// trajectories here are built the same way: every gold action as the agent's tool call with the
// real tool result, then one agent message.

interface Tau2Reference {
  retail: Record<string, string>;
  retailWithoutActions: number;
  trajectories: Record<'30' | '31' | '32', { done: ReferenceChecks }> & { '105': { noop: ReferenceChecks } };
  premature: Record<string, { reward: number; note: string }>;
  compare: {
    action: { name: string; arguments: Record<string, JsonValue>; compare_args?: string[] };
    call: { name: string; arguments: Record<string, JsonValue> };
    match: boolean;
  }[];
  communicate: { infos: string[]; messages: string[]; met: boolean[] }[];
}
interface ReferenceChecks {
  /** τ²'s full evaluate_simulation reward and breakdown, where no judge is needed. */
  reward?: number;
  breakdown?: Record<string, number>;
  db: boolean;
  actions: boolean[] | null;
  communicate: boolean[] | null;
  basis: string[];
}

/**
 * Reference values produced by running τ²-bench's own evaluator (sierra-research/tau2-bench
 * a2c024725189473d2d7cea3a5cfdbcc67478e41f, its Python in a venv, on the data in
 * ../shared/benchmarks/tau2-bench). The driving script stays outside the repository. It builds τ²
 * message lists — an assistant greeting, a user message, then each gold action as its own
 * assistant tool call with τ²'s real `get_response` result, then one assistant text — and runs
 * `EnvironmentEvaluator`, `ActionEvaluator` and `CommunicateEvaluator` on them (`evaluate_simulation`
 * with evaluation type ALL for premature terminations; no NL judge is called). `retail` gives per
 * task and trajectory kind the digits <DB match><ACTION reward><COMMUNICATE reward>, kinds: `done`
 * (all gold actions, then "Done, your request has been handled."), `oracle` (then every
 * communicate_info joined by ". ", or "Done."), `noop` ("I'm sorry, I can't help with that." only),
 * `drop_last` (the oracle without its last gold action). `trajectories` keeps the checks of some of them, with
 * the full `evaluate_simulation` (ALL) reward where the task has no NL assertions. `compare` is `Action.compare_with_tool_call`
 * on hand-made cases; `communicate` is `CommunicateEvaluator` on hand-made agent messages.
 */
const TAU2_REFERENCE: Tau2Reference = {
  retail: {
    '0': 'done:111 oracle:111 noop:001 drop_last:001',
    '1': 'done:111 oracle:111 noop:001 drop_last:001',
    '2': 'done:110 oracle:111 noop:000 drop_last:001',
    '3': 'done:110 oracle:111 noop:000 drop_last:001',
    '4': 'done:110 oracle:111 noop:000 drop_last:001',
    '5': 'done:111 oracle:111 noop:001 drop_last:001',
    '6': 'done:111 oracle:111 noop:001 drop_last:001',
    '7': 'done:111 oracle:111 noop:001 drop_last:001',
    '8': 'done:111 oracle:111 noop:001 drop_last:001',
    '9': 'done:111 oracle:111 noop:001 drop_last:001',
    '10': 'done:111 oracle:111 noop:101 drop_last:101',
    '11': 'done:111 oracle:111 noop:001 drop_last:001',
    '12': 'done:111 oracle:111 noop:101 drop_last:101',
    '13': 'done:111 oracle:111 noop:001 drop_last:001',
    '14': 'done:111 oracle:111 noop:001 drop_last:001',
    '15': 'done:111 oracle:111 noop:001 drop_last:001',
    '16': 'done:110 oracle:111 noop:000 drop_last:001',
    '17': 'done:111 oracle:111 noop:001 drop_last:001',
    '18': 'done:111 oracle:111 noop:001 drop_last:001',
    '19': 'done:110 oracle:111 noop:000 drop_last:001',
    '20': 'done:111 oracle:111 noop:001 drop_last:101',
    '21': 'done:110 oracle:111 noop:000 drop_last:001',
    '22': 'done:111 oracle:111 noop:001 drop_last:001',
    '23': 'done:111 oracle:111 noop:001 drop_last:001',
    '24': 'done:110 oracle:111 noop:110',
    '25': 'done:111 oracle:111 noop:101 drop_last:101',
    '26': 'done:111 oracle:111 noop:001 drop_last:101',
    '27': 'done:111 oracle:111 noop:001 drop_last:001',
    '28': 'done:110 oracle:111 noop:000 drop_last:101',
    '29': 'done:110 oracle:111 noop:000 drop_last:001',
    '30': 'done:110 oracle:111 noop:000 drop_last:001',
    '31': 'done:110 oracle:111 noop:000 drop_last:001',
    '32': 'done:110 oracle:111 noop:000 drop_last:001',
    '33': 'done:111 oracle:111 noop:001 drop_last:001',
    '34': 'done:111 oracle:111 noop:001 drop_last:001',
    '35': 'done:111 oracle:111 noop:001 drop_last:001',
    '36': 'done:110 oracle:111 noop:000 drop_last:001',
    '37': 'done:110 oracle:111 noop:000 drop_last:001',
    '38': 'done:110 oracle:111 noop:000 drop_last:001',
    '39': 'done:110 oracle:111 noop:000 drop_last:001',
    '40': 'done:110 oracle:111 noop:000 drop_last:001',
    '41': 'done:111 oracle:111 noop:001 drop_last:001',
    '42': 'done:111 oracle:111 noop:001 drop_last:001',
    '43': 'done:110 oracle:111 noop:000 drop_last:001',
    '44': 'done:110 oracle:111 noop:000 drop_last:001',
    '45': 'done:110 oracle:111 noop:000 drop_last:001',
    '46': 'done:110 oracle:111 noop:000 drop_last:101',
    '47': 'done:110 oracle:111 noop:000 drop_last:101',
    '48': 'done:111 oracle:111 noop:001 drop_last:001',
    '49': 'done:111 oracle:111 noop:001 drop_last:001',
    '50': 'done:111 oracle:111 noop:101 drop_last:101',
    '51': 'done:111 oracle:111 noop:001 drop_last:001',
    '52': 'done:111 oracle:111 noop:001 drop_last:001',
    '53': 'done:111 oracle:111 noop:001 drop_last:001',
    '54': 'done:110 oracle:111 noop:000 drop_last:001',
    '55': 'done:111 oracle:111 noop:001 drop_last:001',
    '56': 'done:111 oracle:111 noop:001 drop_last:001',
    '57': 'done:111 oracle:111 noop:111',
    '58': 'done:111 oracle:111 noop:001 drop_last:001',
    '59': 'done:110 oracle:111 noop:000 drop_last:001',
    '60': 'done:110 oracle:111 noop:000 drop_last:001',
    '61': 'done:111 oracle:111 noop:001 drop_last:001',
    '62': 'done:110 oracle:111 noop:100 drop_last:101',
    '63': 'done:110 oracle:111 noop:000 drop_last:001',
    '64': 'done:111 oracle:111 noop:001 drop_last:001',
    '65': 'done:111 oracle:111 noop:101 drop_last:101',
    '66': 'done:111 oracle:111 noop:001 drop_last:001',
    '67': 'done:110 oracle:111 noop:100 drop_last:101',
    '68': 'done:110 oracle:111 noop:100 drop_last:101',
    '69': 'done:111 oracle:111 noop:001 drop_last:001',
    '70': 'done:110 oracle:111 noop:000 drop_last:001',
    '71': 'done:111 oracle:111 noop:001 drop_last:001',
    '72': 'done:111 oracle:111 noop:001 drop_last:001',
    '73': 'done:111 oracle:111 noop:001 drop_last:001',
    '74': 'done:111 oracle:111 noop:001 drop_last:001',
    '75': 'done:111 oracle:111 noop:001 drop_last:001',
    '76': 'done:110 oracle:111 noop:000 drop_last:001',
    '77': 'done:111 oracle:111 noop:001 drop_last:001',
    '78': 'done:111 oracle:111 noop:001 drop_last:001',
    '79': 'done:111 oracle:111 noop:001 drop_last:001',
    '80': 'done:111 oracle:111 noop:001 drop_last:001',
    '81': 'done:111 oracle:111 noop:001 drop_last:001',
    '82': 'done:111 oracle:111 noop:001 drop_last:001',
    '83': 'done:111 oracle:111 noop:001 drop_last:001',
    '84': 'done:111 oracle:111 noop:001 drop_last:001',
    '85': 'done:111 oracle:111 noop:001 drop_last:001',
    '86': 'done:111 oracle:111 noop:001 drop_last:001',
    '87': 'done:111 oracle:111 noop:001 drop_last:001',
    '88': 'done:111 oracle:111 noop:001 drop_last:001',
    '89': 'done:110 oracle:111 noop:000 drop_last:001',
    '90': 'done:111 oracle:111 noop:001 drop_last:001',
    '91': 'done:111 oracle:111 noop:001 drop_last:001',
    '92': 'done:111 oracle:111 noop:001 drop_last:001',
    '93': 'done:111 oracle:111 noop:001 drop_last:001',
    '94': 'done:111 oracle:111 noop:001 drop_last:001',
    '95': 'done:110 oracle:111 noop:000 drop_last:001',
    '96': 'done:111 oracle:111 noop:001 drop_last:001',
    '97': 'done:111 oracle:111 noop:001 drop_last:001',
    '98': 'done:111 oracle:111 noop:001 drop_last:001',
    '99': 'done:111 oracle:111 noop:001 drop_last:001',
    '100': 'done:111 oracle:111 noop:001 drop_last:001',
    '101': 'done:111 oracle:111 noop:001 drop_last:001',
    '102': 'done:111 oracle:111 noop:001 drop_last:001',
    '103': 'done:110 oracle:111 noop:000 drop_last:001',
    '104': 'done:110 oracle:111 noop:000 drop_last:001',
    '105': 'done:111 oracle:111 noop:101 drop_last:101',
    '106': 'done:111 oracle:111 noop:001 drop_last:001',
    '107': 'done:111 oracle:111 noop:001 drop_last:001',
    '108': 'done:110 oracle:111 noop:000 drop_last:001',
    '109': 'done:111 oracle:111 noop:001 drop_last:001',
    '110': 'done:111 oracle:111 noop:001 drop_last:001',
    '111': 'done:111 oracle:111 noop:001 drop_last:001',
    '112': 'done:111 oracle:111 noop:001 drop_last:001',
    '113': 'done:111 oracle:111 noop:001 drop_last:001',
  },
  retailWithoutActions: 2,
  trajectories: {
    '30': {
      done: {
        reward: 1,
        breakdown: { DB: 1, NL_ASSERTION: 1 },
        db: true,
        actions: [true, true, true, true, true, true, true, true, true, true, true, true, true],
        communicate: [false],
        basis: ['DB', 'NL_ASSERTION'],
      },
    },
    '31': {
      done: {
        reward: 1,
        breakdown: { DB: 1, NL_ASSERTION: 1 },
        db: true,
        actions: [true, true, true, true, true, true, true, true, true, true, true, true],
        communicate: [false],
        basis: ['DB', 'NL_ASSERTION'],
      },
    },
    '32': {
      done: {
        reward: 1,
        breakdown: { DB: 1, NL_ASSERTION: 1 },
        db: true,
        actions: [true, true, true, true, true, true, true, true, true, true, true, true, true],
        communicate: [false],
        basis: ['DB', 'NL_ASSERTION'],
      },
    },
    '105': {
      noop: {
        db: true,
        actions: [false],
        communicate: null,
        basis: ['DB', 'NL_ASSERTION'],
      },
    },
  },
  premature: {
    '30/agent_error': {
      reward: 0.0,
      note: 'Simulation terminated prematurely. Termination reason: agent_error',
    },
    '30/user_error': {
      reward: 0.0,
      note: 'Simulation terminated prematurely. Termination reason: user_error',
    },
    '30/max_steps': {
      reward: 0.0,
      note: 'Simulation terminated prematurely. Termination reason: max_steps',
    },
    '105/agent_error': {
      reward: 0.0,
      note: 'Simulation terminated prematurely. Termination reason: agent_error',
    },
    '105/user_error': {
      reward: 0.0,
      note: 'Simulation terminated prematurely. Termination reason: user_error',
    },
    '105/max_steps': {
      reward: 0.0,
      note: 'Simulation terminated prematurely. Termination reason: max_steps',
    },
  },
  compare: [
    {
      action: {
        name: 'f',
        arguments: {
          a: 1,
          b: 'x',
        },
      },
      call: {
        name: 'f',
        arguments: {
          a: 1,
          b: 'x',
        },
      },
      match: true,
    },
    {
      action: {
        name: 'f',
        arguments: {
          a: 1,
          b: 'x',
        },
      },
      call: {
        name: 'f',
        arguments: {
          a: 1,
        },
      },
      match: true,
    },
    {
      action: {
        name: 'f',
        arguments: {
          a: 1,
          b: 'x',
        },
      },
      call: {
        name: 'f',
        arguments: {},
      },
      match: true,
    },
    {
      action: {
        name: 'f',
        arguments: {
          a: 1,
        },
      },
      call: {
        name: 'f',
        arguments: {
          a: 1,
          c: 2,
        },
      },
      match: false,
    },
    {
      action: {
        name: 'f',
        arguments: {
          a: 1,
        },
      },
      call: {
        name: 'g',
        arguments: {
          a: 1,
        },
      },
      match: false,
    },
    {
      action: {
        name: 'f',
        arguments: {
          a: 1.0,
        },
      },
      call: {
        name: 'f',
        arguments: {
          a: 1,
        },
      },
      match: true,
    },
    {
      action: {
        name: 'f',
        arguments: {
          a: true,
        },
      },
      call: {
        name: 'f',
        arguments: {
          a: 1,
        },
      },
      match: true,
    },
    {
      action: {
        name: 'f',
        arguments: {
          a: [1, 2],
        },
      },
      call: {
        name: 'f',
        arguments: {
          a: [2, 1],
        },
      },
      match: false,
    },
    {
      action: {
        name: 'f',
        arguments: {
          a: {
            x: 1,
            y: 2,
          },
        },
      },
      call: {
        name: 'f',
        arguments: {
          a: {
            y: 2,
            x: 1,
          },
        },
      },
      match: true,
    },
    {
      action: {
        name: 'f',
        arguments: {
          a: 1,
          b: 'x',
        },
        compare_args: ['a'],
      },
      call: {
        name: 'f',
        arguments: {
          a: 1,
          b: 'y',
        },
      },
      match: true,
    },
    {
      action: {
        name: 'f',
        arguments: {
          a: 1,
          b: 'x',
        },
        compare_args: ['a', 'b'],
      },
      call: {
        name: 'f',
        arguments: {
          a: 1,
        },
      },
      match: false,
    },
    {
      action: {
        name: 'f',
        arguments: {
          a: 1,
        },
        compare_args: [],
      },
      call: {
        name: 'f',
        arguments: {
          a: 2,
        },
      },
      match: true,
    },
    {
      action: {
        name: 'f',
        arguments: {
          a: 1,
        },
        compare_args: ['z'],
      },
      call: {
        name: 'f',
        arguments: {
          a: 2,
        },
      },
      match: true,
    },
    {
      action: {
        name: 'f',
        arguments: {
          a: 'X',
        },
      },
      call: {
        name: 'f',
        arguments: {
          a: 'x',
        },
      },
      match: false,
    },
    {
      action: {
        name: 'f',
        arguments: {
          a: null,
        },
      },
      call: {
        name: 'f',
        arguments: {
          a: null,
        },
      },
      match: true,
    },
    {
      action: {
        name: 'f',
        arguments: {
          a: 0,
        },
      },
      call: {
        name: 'f',
        arguments: {
          a: false,
        },
      },
      match: true,
    },
  ],
  communicate: [
    {
      infos: ['1,234.56'],
      messages: ['The total is $1,234.56.'],
      met: [false],
    },
    {
      infos: ['1234.56'],
      messages: ['The total is $1,234.56.'],
      met: [true],
    },
    {
      infos: ['Refund'],
      messages: ['your REFUND is on its way'],
      met: [true],
    },
    {
      infos: ['10'],
      messages: ['It costs 100 dollars'],
      met: [true],
    },
    {
      infos: ['a, b'],
      messages: ['a, b'],
      met: [false],
    },
    {
      infos: ['x'],
      messages: ['   '],
      met: [false],
    },
    {
      infos: ['é'],
      messages: ['É'],
      met: [true],
    },
    {
      infos: ['42', '43'],
      messages: ['42 and', 'then 43'],
      met: [true, true],
    },
    {
      infos: ['42', '44'],
      messages: ['42 and 43'],
      met: [true, false],
    },
  ],
};

/**
 * τ²'s evaluator on its dual-control domains (same commit, same way): telecom's `small` split and mock's tasks, for
 * `oracle` (each gold action as a tool call by its requestor — user actions in user messages — with τ²'s real
 * `get_response` result, then one assistant "Done.") and `noop` ("I'm sorry, I can't help with that." only); the
 * trajectory starts with the task's message history, as τ²'s does. Value: "<DB match><ACTION><COMMUNICATE>/<each env
 * assertion met>", or "E:<error>" where τ²'s evaluator raised (an assertion function raised).
 */
const TAU2_DUAL_REFERENCE: Record<'telecom' | 'mock', Record<string, Record<'oracle' | 'noop', string>>> = {
  telecom: {
    '[mobile_data_issue]user_abroad_roaming_enabled_off[PERSONA:None]': {
      oracle: '111/11',
      noop: '001/00',
    },
    '[mobile_data_issue]user_abroad_roaming_disabled_on[PERSONA:Easy]': {
      oracle: '011/11',
      noop: '001/00',
    },
    '[mobile_data_issue]user_abroad_roaming_disabled_off[PERSONA:Hard]': {
      oracle: '011/11',
      noop: '001/00',
    },
    '[mobile_data_issue]data_mode_off[PERSONA:None]': {
      oracle: '111/11',
      noop: '001/00',
    },
    '[mobile_data_issue]data_saver_mode_on[PERSONA:Easy]': {
      oracle: '111/11',
      noop: '001/10',
    },
    '[mobile_data_issue]bad_network_preference[PERSONA:Hard]': {
      oracle: '111/11',
      noop: '001/10',
    },
    '[mobile_data_issue]bad_vpn[PERSONA:None]': {
      oracle: '111/11',
      noop: '001/10',
    },
    '[mobile_data_issue]data_usage_exceeded[PERSONA:Easy]': {
      oracle: '011/111',
      noop: '001/000',
    },
    '[service_issue]airplane_mode_on[PERSONA:None]': {
      oracle: '111/11',
      noop: '001/01',
    },
    '[service_issue]unseat_sim_card[PERSONA:Easy]': {
      oracle: '111/11',
      noop: '001/01',
    },
    '[service_issue]lock_sim_card_pin[PERSONA:Hard]': {
      oracle: '111/1',
      noop: '101/1',
    },
    '[service_issue]break_apn_settings[PERSONA:None]': {
      oracle: '111/11',
      noop: '001/01',
    },
    '[service_issue]overdue_bill_suspension[PERSONA:Easy]': {
      oracle: '011/11',
      noop: '001/00',
    },
    '[service_issue]contract_end_suspension[PERSONA:Hard]': {
      oracle: '111/1',
      noop: '101/1',
    },
    '[mms_issue]bad_network_preference[PERSONA:None]': {
      oracle: '111/1',
      noop: '001/0',
    },
    '[mms_issue]bad_wifi_calling[PERSONA:Easy]': {
      oracle: '111/1',
      noop: '001/0',
    },
    '[mms_issue]break_apn_mms_setting[PERSONA:Hard]': {
      oracle: '111/1',
      noop: '001/0',
    },
    '[mms_issue]break_app_sms_permission[PERSONA:None]': {
      oracle: '111/1',
      noop: '001/0',
    },
    '[mms_issue]break_app_storage_permission[PERSONA:Easy]': {
      oracle: '111/1',
      noop: '001/0',
    },
    '[mms_issue]break_app_both_permissions[PERSONA:Hard]': {
      oracle: '111/1',
      noop: '001/0',
    },
  },
  mock: {
    create_task_1: {
      oracle: '111/',
      noop: '001/',
    },
    create_task_1_with_env_assertions: {
      oracle: '111/1',
      noop: 'E:Task task_2 not found',
    },
    create_task_1_nl_eval: {
      oracle: '111/',
      noop: '111/',
    },
    update_task_1: {
      oracle: '111/',
      noop: '001/',
    },
    update_task_with_message_history: {
      oracle: '111/',
      noop: '001/',
    },
    update_task_with_initialization_data: {
      oracle: '110/',
      noop: '000/',
    },
    update_task_with_initialization_actions: {
      oracle: '111/',
      noop: '001/',
    },
    update_task_with_history_and_env_assertions: {
      oracle: '111/0',
      noop: '111/0',
    },
    update_task_with_user_tools: {
      oracle: '111/0',
      noop: '001/0',
    },
    impossible_task_1: {
      oracle: '111/',
      noop: '101/',
    },
  },
};

const retail = createDomain('tau2-bench/retail');
const retailTasks = new Map(retail.tasks({ split: 'base' }).map((t) => [t.id, t]));
const GREETING = 'Hi! How can I help you today?';
const DONE = 'Done, your request has been handled.';
const NOOP = "I'm sorry, I can't help with that.";

function criteriaOf(task: Task): Tau2Criteria {
  assert.equal(task.expected.kind, 'tau2');
  return task.expected as Tau2Criteria;
}

/** An episode of `task`: the given calls in order, each by its side, then `finalText` from the agent. */
function play(domain: Domain, task: Task, calls: readonly SidedCall[], finalText: string | null) {
  const initialState = initialStateFor(domain, task);
  const finalState = initialState.fork();
  const events: TrajectoryEvent[] = [
    { type: 'message', role: 'agent', content: GREETING },
    { type: 'message', role: 'user', content: 'Hi, I need help.' },
  ];
  calls.forEach((call, i) => {
    const result = executeSideToolCall(domain, finalState, call.side, call.name, call.arguments);
    const actor = call.side === 'user' ? { actor: 'user' as const } : {};
    events.push({ type: 'tool_call', id: `call_${i}`, name: call.name, arguments: call.arguments, ...actor });
    events.push({ type: 'tool_result', callId: `call_${i}`, name: call.name, content: result.content, isError: result.isError, ...actor });
  });
  if (finalText !== null) events.push({ type: 'message', role: 'agent', content: finalText });
  return { initialState, finalState, events };
}

type Kind = 'done' | 'oracle' | 'noop' | 'drop_last';

function episode(task: Task, kind: Kind, reason: TerminationReason = 'user_stop', nlJudgements?: Tau2NlJudgements): Outcome {
  const criteria = criteriaOf(task);
  const infos = criteria.communicate.map((c) => c.anyOf![0]);
  const say = infos.length > 0 ? infos.join('. ') : 'Done.';
  const calls = kind === 'noop' ? [] : kind === 'drop_last' ? criteria.actions.slice(0, -1) : criteria.actions;
  const text = kind === 'done' ? DONE : kind === 'noop' ? NOOP : say;
  const played = play(retail, task, calls, text);
  return gradeEpisode({
    domain: retail,
    task,
    initialState: played.initialState,
    finalState: played.finalState,
    trajectory: { events: played.events, termination: { reason } },
    ...(nlJudgements ? { nlJudgements } : {}),
  });
}

const digit = (value: boolean) => (value ? '1' : '0');

test('τ² retail: DB, ACTION and COMMUNICATE agree with τ²’s evaluator on every task, for oracle, noop, drop-last and "Done" trajectories', () => {
  const mismatches: string[] = [];
  let compared = 0;
  for (const [id, expected] of Object.entries(TAU2_REFERENCE.retail)) {
    const task = retailTasks.get(id)!;
    for (const entry of expected.split(' ')) {
      const [kind, bits] = entry.split(':') as [Kind, string];
      const tau2 = episode(task, kind).tau2!;
      const got = `${digit(tau2.db!.pass)}${digit((tau2.actions ?? []).every((a) => a.met))}${digit((tau2.communicate ?? []).every((c) => c.met))}`;
      compared++;
      if (got !== bits) mismatches.push(`${id}/${kind}: τ² ${bits}, ours ${got}`);
    }
  }
  assert.equal(compared, Object.keys(TAU2_REFERENCE.retail).length * 4 - TAU2_REFERENCE.retailWithoutActions);
  assert.deepEqual(mismatches, []);
});

test('tasks 30–32 with the agent saying only "Done…": τ²’s DB passes, COMMUNICATE fails but does not count: reward 1 as τ² gives', () => {
  for (const id of ['30', '31', '32']) {
    const task = retailTasks.get(id)!;
    const reference = TAU2_REFERENCE.trajectories[id as '30'].done;
    const outcome = episode(task, 'done');
    const tau2 = outcome.tau2!;
    assert.equal(tau2.db!.pass, reference.db);
    assert.deepEqual(
      tau2.actions!.map((a) => a.met),
      reference.actions,
    );
    assert.deepEqual(
      tau2.communicate!.map((c) => c.met),
      reference.communicate,
    );
    assert.deepEqual(tau2.basis, reference.basis);
    // Their nl_assertions are null: τ² counts NL_ASSERTION as 1 without a judge, so the reward is DB's.
    assert.equal(criteriaOf(task).nlAssertions.length, 0);
    assert.deepEqual(tau2.pending, []);
    assert.deepEqual(tau2.breakdown, reference.breakdown);
    assert.deepEqual(tau2.nlAssertions, [], 'τ² reports an empty list of NL checks');
    assert.equal(outcome.reward, reference.reward);
    assert.equal(
      tau2.communicate!.every((c) => c.met),
      false,
      'computed and reported, outside the basis',
    );
    assert.equal(outcome.communication.pass, false, 'Groundwork’s own view still shows what was not said');
  }
});

test('an NL assertion without a verdict leaves the τ² reward pending (0, never passed); verdicts decide it', () => {
  const withNl = [...retailTasks.values()].filter(
    (t) => criteriaOf(t).nlAssertions.length > 0 && criteriaOf(t).rewardBasis.includes('NL_ASSERTION'),
  );
  assert.equal(withNl.length, 40);
  for (const task of withNl.slice(0, 5)) {
    const outcome = episode(task, 'oracle');
    assert.deepEqual([outcome.reward, outcome.tau2!.reward, outcome.tau2!.pending], [0, null, ['NL_ASSERTION']]);
    assert.match(outcome.note ?? '', /needs a judge/);
    const assertions = criteriaOf(task).nlAssertions;
    const verdicts = (pass: boolean): Tau2NlJudgements => Object.fromEntries(assertions.map((a) => [a, { pass, judge: 'test' }]));
    assert.equal(episode(task, 'oracle', 'user_stop', verdicts(true)).reward, 1);
    assert.equal(episode(task, 'oracle', 'user_stop', verdicts(false)).reward, 0);
    // A failed DB decides the product whatever the judge would say: no judge needed.
    const noop = episode(task, 'noop');
    if (!noop.tau2!.db!.pass) assert.deepEqual([noop.tau2!.reward, noop.tau2!.pending], [0, ['NL_ASSERTION']]);
  }
});

test('task 105: the gold exchange fails, so a do-nothing agent passes DB; τ²’s assertion decides, and without a judge it is pending, not 1', () => {
  const task = retailTasks.get('105')!;
  const reference = TAU2_REFERENCE.trajectories['105'].noop;
  const plain = episode(task, 'noop');
  assert.equal(plain.tau2!.db!.pass, reference.db);
  assert.equal(plain.reward, 0);
  assert.equal(plain.tau2!.reward, null);
  assert.deepEqual(plain.tau2!.pending, ['NL_ASSERTION']);
  const [assertion] = criteriaOf(task).nlAssertions;
  assert.match(assertion, /exchange both tea kettles/);
  const no = episode(task, 'noop', 'user_stop', { [assertion]: { pass: false, rationale: 'nothing was exchanged', judge: 'test' } });
  assert.equal(no.reward, 0);
  assert.equal(no.tau2!.reward, 0);
  assert.deepEqual(no.tau2!.breakdown, { DB: 1, NL_ASSERTION: 0 });
  assert.deepEqual(no.tau2!.nlAssertions, [
    { assertion, met: false, judgement: { pass: false, rationale: 'nothing was exchanged', judge: 'test' } },
  ]);
});

test('premature terminations score 0 with no check, with τ²’s note; infra errors say they are no verdict on the agent', () => {
  for (const [key, reference] of Object.entries(TAU2_REFERENCE.premature)) {
    const [id, reason] = key.split('/') as [string, TerminationReason];
    const outcome = episode(retailTasks.get(id)!, 'oracle', reason);
    assert.equal(outcome.reward, reference.reward, key);
    const tau2 = outcome.tau2!;
    assert.equal(tau2.reward, 0);
    assert.equal(tau2.premature, reason);
    assert.deepEqual([tau2.db, tau2.actions, tau2.communicate, tau2.envAssertions, tau2.nlAssertions], [null, null, null, null, null]);
    assert.equal(tau2.note, reference.note);
    assert.equal(outcome.state.pass, true, 'Groundwork’s own diff still shows the end state matched the gold state');
  }
  const infra = episode(retailTasks.get('30')!, 'oracle', 'infra_error').tau2!;
  assert.equal(infra.reward, 0);
  assert.match(infra.note!, /^Simulation terminated prematurely\. Termination reason: infra_error; .*not a verdict on the agent/);
});

test('ACTION matching is τ²’s compare_with_tool_call on every reference case', () => {
  for (const { action, call, match } of TAU2_REFERENCE.compare) {
    const ours = tau2ActionMatches(
      { name: action.name, arguments: action.arguments, ...(action.compare_args ? { compareArgs: action.compare_args } : {}) },
      call,
    );
    assert.equal(ours, match, JSON.stringify({ action, call }));
  }
  // τ² tool calls always carry a dict; a call whose arguments could not be parsed matches nothing here.
  assert.equal(tau2ActionMatches({ name: 'f', arguments: { a: 1 } }, { name: 'f', arguments: 'not json' }), false);
});

// A tiny dual-control world for the rules τ²'s retail does not exercise: user tables, sync,
// environment assertions and an empty basis.
const tinyTables = freezeTables({
  lines: { l1: { id: 'l1', active: false } },
  phone: { device: { id: 'device', service: false, airplane: true } },
});
const tiny = {
  name: 'tiny',
  queries: {},
  tools: [
    {
      name: 'resume_line',
      description: '',
      kind: 'write',
      input: z.object({ line: z.string() }),
      execute: (s: TableState, { line }: { line: string }) => ((s.mutable('lines', line)!.active = true), 'ok'),
    },
  ] as DomainTool[],
  user: {
    tables: ['phone'],
    tools: [
      {
        name: 'toggle_airplane',
        description: '',
        kind: 'write',
        input: z.object({}),
        execute: (s: TableState) => {
          const phone = s.mutable('phone', 'device')!;
          phone.airplane = !phone.airplane;
          return 'toggled';
        },
      },
    ] as DomainTool[],
  },
  functions: {
    user: {
      assert_service: (s: TableState, args: Record<string, unknown>) => s.get('phone', 'device')!.service === args.expected,
      service_text: (s: TableState) => String(s.get('phone', 'device')!.service),
    },
  },
  // The phone has service when its line is active and airplane mode is off.
  sync: (s: TableState) => {
    const service = s.get('lines', 'l1')!.active === true && s.get('phone', 'device')!.airplane === false;
    if (s.get('phone', 'device')!.service !== service) s.mutable('phone', 'device')!.service = service;
  },
};

function tinyGrade(criteria: Omit<Tau2Criteria, 'kind'>, calls: SidedCall[], extra: { noEnvCriteria?: boolean } = {}) {
  const initial = TableState.over(tinyTables);
  const final = initial.fork();
  const events: TrajectoryEvent[] = [];
  for (const call of calls) {
    executeSideToolCall(tiny, final, call.side, call.name, call.arguments);
    events.push({
      type: 'tool_call',
      id: 'c',
      name: call.name,
      arguments: call.arguments,
      ...(call.side === 'user' ? { actor: 'user' as const } : {}),
    });
  }
  return gradeTau2({
    domain: tiny,
    criteria: { kind: 'tau2', ...criteria, ...extra },
    initialState: initial,
    finalState: final,
    trajectory: { events, termination: { reason: 'agent_stop' } },
  }).section;
}

const resume: SidedCall = { side: 'agent', name: 'resume_line', arguments: { line: 'l1' } };
const airplaneOff: SidedCall = { side: 'user', name: 'toggle_airplane', arguments: {} };
const serviceOn = { side: 'user' as const, name: 'assert_service', arguments: { expected: true }, assertValue: true };

test('dual control: the DB check compares both sides; assertions run on the final state; user tool calls count for ACTION', () => {
  const base = { communicate: [], nlAssertions: [] };
  const gold = [
    { ...resume, id: 'a0' },
    { ...airplaneOff, id: 'a1' },
  ];
  const both = tinyGrade({ ...base, rewardBasis: ['ENV_ASSERTION', 'ACTION'], actions: gold, envAssertions: [serviceOn] }, [
    resume,
    airplaneOff,
  ]);
  assert.equal(both.reward, 1);
  // τ²'s gold replay does not sync between gold actions (make_tool_call), the episode does: the
  // phone's synced service differs, so DB fails on the user's side even for the gold calls. τ²'s
  // own evaluator does the same on telecom (oracle of overdue_bill_suspension: db_match False,
  // both env assertions met), where the basis is ENV_ASSERTION.
  assert.deepEqual(both.db, { pass: false, agent: true, user: false });
  const userOnly = tinyGrade({ ...base, rewardBasis: ['DB'], actions: [{ ...airplaneOff, id: 'a1' }], envAssertions: [] }, [airplaneOff]);
  assert.deepEqual(userOnly.db, { pass: true, agent: true, user: true });
  assert.equal(tinyGrade({ ...base, rewardBasis: ['DB'], actions: [{ ...airplaneOff, id: 'a1' }], envAssertions: [] }, []).db!.user, false);
  assert.deepEqual(
    both.actions!.map((a) => [a.id, a.met, a.matchedCall]),
    [
      ['a0', true, 0],
      ['a1', true, 1],
    ],
  );
  assert.deepEqual(
    both.envAssertions!.map((a) => [a.met, a.actual]),
    [[true, true]],
  );

  const agentOnly = tinyGrade({ ...base, rewardBasis: ['DB', 'ENV_ASSERTION'], actions: gold, envAssertions: [serviceOn] }, [resume]);
  assert.deepEqual(agentOnly.db, { pass: false, agent: true, user: false });
  assert.equal(agentOnly.envAssertions![0].met, false);
  assert.deepEqual(agentOnly.breakdown, { DB: 0, ENV_ASSERTION: 0 });

  // Only the basis counts: the same episode graded on ACTION alone fails on the missing user call.
  const actionOnly = tinyGrade({ ...base, rewardBasis: ['ACTION'], actions: gold, envAssertions: [serviceOn] }, [resume]);
  assert.equal(actionOnly.reward, 0);
  assert.equal(actionOnly.db!.pass, false, 'DB is computed and reported outside the basis');

  // An assertion returning a non-boolean is an error in τ²: unmet here, with the reason.
  const badAssert = tinyGrade(
    {
      ...base,
      rewardBasis: ['ENV_ASSERTION'],
      actions: [],
      envAssertions: [{ side: 'user', name: 'service_text', arguments: {}, assertValue: true }],
    },
    [],
  );
  assert.equal(badAssert.reward, 0);
  assert.match(badAssert.envAssertions![0].error!, /instead of a boolean/);
  const unknown = tinyGrade(
    {
      ...base,
      rewardBasis: ['ENV_ASSERTION'],
      actions: [],
      envAssertions: [{ side: 'agent', name: 'nope', arguments: {}, assertValue: true }],
    },
    [],
  );
  assert.equal(unknown.envAssertions![0].met, false);

  // An empty basis is a product of nothing: 1, whatever happened.
  assert.equal(tinyGrade({ ...base, rewardBasis: [], actions: gold, envAssertions: [serviceOn] }, []).reward, 1);
  // τ²: no actions and no env assertions at all (null in the record): DB passes without comparing.
  const unchecked = tinyGrade({ ...base, rewardBasis: ['DB'], actions: [], envAssertions: [] }, [resume], { noEnvCriteria: true });
  assert.equal(unchecked.reward, 1);
  assert.equal(tinyGrade({ ...base, rewardBasis: ['DB'], actions: [], envAssertions: [] }, [resume]).reward, 0);
});

test('dual control against τ²’s evaluator: telecom (small) and mock, oracle and noop — DB of both sides, ENV_ASSERTION, ACTION, COMMUNICATE', () => {
  const domains = { telecom: createTau2TelecomDomain(), mock: createTau2MockDomain() };
  const mismatches: string[] = [];
  for (const [name, expected] of Object.entries(TAU2_DUAL_REFERENCE) as [keyof typeof domains, Record<string, Record<string, string>>][]) {
    const domain = domains[name];
    const tasks = new Map(domain.tasks({ split: name === 'telecom' ? 'small' : 'base' }).map((t) => [t.id, t]));
    assert.equal(tasks.size, Object.keys(expected).length, name);
    for (const [id, kinds] of Object.entries(expected)) {
      const task = tasks.get(id)!;
      for (const [kind, value] of Object.entries(kinds)) {
        const calls = kind === 'oracle' ? criteriaOf(task).actions : [];
        const played = play(domain, task, calls, kind === 'oracle' ? 'Done.' : NOOP);
        const tau2 = gradeEpisode({
          domain,
          task,
          initialState: played.initialState,
          finalState: played.finalState,
          trajectory: { events: played.events.slice(2), termination: { reason: 'user_stop' } },
        }).tau2!;
        const assertions = tau2.envAssertions ?? [];
        const got = value.startsWith('E:')
          ? assertions.some((a) => a.error !== undefined)
            ? value
            : 'no error'
          : `${digit(tau2.db!.pass)}${digit((tau2.actions ?? []).every((a) => a.met))}${digit((tau2.communicate ?? []).every((c) => c.met))}/${assertions.map((a) => digit(a.met)).join('')}`;
        if (got !== value) mismatches.push(`${name} ${id} ${kind}: τ² ${value}, ours ${got}`);
      }
    }
  }
  assert.deepEqual(mismatches, []);
});

test('COMMUNICATE is τ²’s substring rule on the agent’s messages, on every reference case', () => {
  for (const { infos, messages, met } of TAU2_REFERENCE.communicate) {
    const initial = TableState.over(tinyTables);
    const section = gradeTau2({
      domain: tiny,
      criteria: {
        kind: 'tau2',
        rewardBasis: ['COMMUNICATE'],
        actions: [],
        envAssertions: [],
        nlAssertions: [],
        communicate: infos.map((info, i) => ({ id: `info-${i + 1}`, anyOf: [info], match: 'tau-substring' as const })),
      },
      initialState: initial,
      finalState: initial,
      trajectory: {
        events: [
          ...messages.map((content): TrajectoryEvent => ({ type: 'message', role: 'agent', content })),
          { type: 'message', role: 'user', content: infos.join(' ') },
        ],
        termination: { reason: 'user_stop' },
      },
    }).section;
    assert.deepEqual(
      section.communicate!.map((c) => c.met),
      met,
      JSON.stringify({ infos, messages }),
    );
  }
});

test('stored NL verdicts survive a plain re-grade; outcomes of earlier graders still parse', () => {
  const task = retailTasks.get('105')!;
  const [assertion] = criteriaOf(task).nlAssertions;
  const played = play(retail, task, [], NOOP);
  const trajectory: Trajectory = {
    schemaVersion: 1,
    episodeId: 'e',
    taskId: task.id,
    domain: retail.name,
    agent: 'noop',
    user: 'scripted',
    trial: 0,
    seed: 1,
    events: played.events,
    termination: { reason: 'user_stop' },
    finalChanges: played.finalState.changesFromBase(),
    initialStateHash: played.initialState.hash(),
    finalStateHash: played.finalState.hash(),
    steps: 1,
    usage: {},
    participants: {},
    startedAt: '2026-01-01T00:00:00Z',
    durationMs: 1,
  };
  const judged = regradeEpisode(retail, task, trajectory, { nlJudgements: { [assertion]: { pass: true, judge: 'j' } } }).outcome;
  assert.equal(judged.reward, 1);
  const again = regradeEpisode(retail, task, trajectory, { previous: judged }).outcome;
  assert.deepEqual(again, judged);
  assert.equal(outcomeSchema.parse(JSON.parse(JSON.stringify(judged))).tau2!.nlAssertions![0].judgement!.judge, 'j');
  assert.equal(GRADER_VERSION, 'groundwork-grader/4');
  // An outcome stored by grader 3 (no τ² section) still parses.
  const { tau2: _, ...old } = judged;
  assert.doesNotThrow(() => outcomeSchema.parse({ ...old, graderVersion: 'groundwork-grader/3' }));
});

test('the τ² task keeps τ-bench v1 domains on their own rule', () => {
  const v1 = createDomain('tau-bench/retail').tasks({ split: 'test' })[0];
  assert.equal(v1.expected.kind, 'gold-replay');
  const t2 = retailTasks.get('0')!;
  assert.equal(t2.expected.kind, 'tau2');
  assert.equal(t2.schemaVersion, TASK_SCHEMA_VERSION);
});

test('toolkit bookkeeping is outside τ²’s DB: an extra unlock beside the gold actions still passes DB, an extra write does not', () => {
  const domain = createDomain('tau2-bench/banking_knowledge');
  const task = domain.tasks({ split: 'base' }).find((t) => t.id === 'task_033')!;
  assert.equal(task.expected.kind, 'tau2');
  const criteria = task.expected as Tau2Criteria;
  const initial = initialStateFor(domain, task);
  const play = (extra: SidedCall[]) => {
    const state = initial.fork();
    for (const call of [...criteria.actions, ...extra]) executeSideToolCall(domain, state, call.side, call.name, call.arguments);
    return gradeTau2({
      domain,
      criteria,
      initialState: initial,
      finalState: state,
      trajectory: { events: [], termination: { reason: 'user_stop' } },
    }).section.db!;
  };
  assert.equal(play([]).pass, true);
  const unlock = {
    side: 'agent' as const,
    name: 'unlock_discoverable_agent_tool',
    arguments: { agent_tool_name: 'get_debit_dispute_status_7483' },
  };
  assert.ok(domain.toolkitTables?.length, 'banking declares its toolkit tables');
  assert.deepEqual(play([unlock]), { pass: true, agent: true, user: true });
  const changedEmail = { side: 'agent' as const, name: 'change_user_email', arguments: { user_id: 'x', new_email: 'a@b.c' } };
  const users = initial.keys('users');
  changedEmail.arguments.user_id = users[0];
  assert.equal(play([changedEmail]).pass, false);
});
