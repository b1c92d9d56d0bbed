import type { JsonObject } from '../../schema/json.ts';
import type { Tables } from '../../state/table-state.ts';
import { SeededRandom } from '../../util/seeded-random.ts';
import type { Account, Customer, FeatureFlag, FileCopy, FileRecord, FlagOverride, Grant, Person, Resource } from './state.ts';

const FIRST_NAMES = [
  'Ava',
  'Ben',
  'Chloe',
  'Daniel',
  'Elena',
  'Farid',
  'Grace',
  'Hugo',
  'Ines',
  'Jonas',
  'Keiko',
  'Liam',
  'Maya',
  'Nikhil',
  'Olivia',
  'Pablo',
  'Quinn',
  'Rosa',
  'Samir',
  'Tara',
  'Umar',
  'Vera',
  'Wes',
  'Xenia',
  'Yusuf',
  'Zoe',
  'Amara',
  'Bruno',
  'Carmen',
  'Dmitri',
  'Esther',
  'Felix',
  'Hana',
  'Ivan',
  'Julia',
  'Kofi',
  'Lena',
  'Mateo',
  'Nora',
  'Oscar',
];
const LAST_NAMES = [
  'Adler',
  'Baptiste',
  'Castillo',
  'Dubois',
  'Eriksen',
  'Fischer',
  'Gallo',
  'Haddad',
  'Ito',
  'Jensen',
  'Kowalski',
  'Lindqvist',
  'Moreau',
  'Nakamura',
  'Okafor',
  'Petrov',
  'Quintero',
  'Rossi',
  'Schmidt',
  'Tanaka',
  'Varga',
  'Weber',
  'Yilmaz',
  'Zhang',
];
const DEPARTMENTS = ['Engineering', 'Sales', 'Finance', 'Support', 'Marketing', 'Operations'];
const SYSTEMS = ['sso', 'email', 'vpn', 'github', 'crm', 'slack'];
const COMPANY_A = [
  'Acme',
  'Blue',
  'Cedar',
  'Delta',
  'Ember',
  'Falcon',
  'Granite',
  'Harbor',
  'Iris',
  'Juniper',
  'Kestrel',
  'Lumen',
  'Maple',
  'Nimbus',
  'Orchid',
  'Pioneer',
  'Quartz',
  'Redwood',
  'Summit',
  'Tidal',
  'Umber',
  'Vertex',
  'Willow',
  'Zenith',
];
const COMPANY_B = [
  'Logistics',
  'Foods',
  'Analytics',
  'Health',
  'Robotics',
  'Travel',
  'Energy',
  'Textiles',
  'Studios',
  'Dental',
  'Motors',
  'Media',
];
const TENANTS = ['eu-west', 'eu-central', 'us-east', 'us-west', 'apac', 'latam'];
const FLAGS: [string, string][] = [
  ['Smart Replies', 'suggests replies to support tickets'],
  ['Bulk Export', 'lets customers export all records at once'],
  ['Instant Payouts', 'pays out merchants the same day'],
  ['Guest Checkout', 'checkout without an account'],
  ['Live Chat', 'chat widget on customer sites'],
  ['Auto Tagging', 'tags tickets automatically'],
  ['Usage Alerts', 'emails when usage passes a threshold'],
  ['Dark Mode', 'dark theme in the dashboard'],
  ['Beta Reports', 'new reporting engine'],
  ['Magic Links', 'passwordless login by email'],
  ['Team Inbox', 'shared inbox for teams'],
  ['Voice Notes', 'audio messages in tickets'],
];
const RESOURCES: [string, string][] = [
  ['Finance Dashboard', 'dashboard'],
  ['Payroll Drive', 'drive'],
  ['Billing Service Repo', 'repository'],
  ['Customer Warehouse', 'database'],
  ['Sales Forecast Sheet', 'spreadsheet'],
  ['Support Knowledge Base', 'wiki'],
  ['Marketing Assets Drive', 'drive'],
  ['Incident Runbooks', 'wiki'],
  ['Data Platform Repo', 'repository'],
  ['Contracts Archive', 'drive'],
  ['HR Records', 'database'],
  ['Pricing Model', 'spreadsheet'],
];
const FILE_TOPICS = ['Contract', 'Invoices', 'Onboarding Notes', 'Usage Report', 'Support Tickets', 'Renewal Quote', 'Security Review'];
const PERSONAL_FILES = [
  'Team Offsite Plan',
  'Quarterly Goals',
  'Interview Notes',
  'Vendor Comparison',
  'Budget Draft',
  'Hiring Plan',
  'Roadmap Ideas',
  'Meeting Notes',
];

/** Sizes of a generated world. */
export interface WorldSize {
  /** People per department (one of them the head). @default 7 */
  peoplePerDepartment: number;
  /** @default 24 */
  customers: number;
}

const DEFAULT_SIZE: WorldSize = { peoplePerDepartment: 7, customers: 24 };

const pad = (n: number, width = 3) => String(n).padStart(width, '0');
const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/(^-|-$)/g, '');

/**
 * Generates the company behind the helpdesk from a seed: people in departments with managers,
 * their accounts and access grants, resources with owners, customers whose data lives in files
 * with several copies, feature flags with per-tenant overrides, legal holds and settings.
 */
export function generateWorld(seed: number, size: WorldSize = DEFAULT_SIZE): Tables {
  const random = SeededRandom.from('helpdesk-world', seed);
  const tables: Record<string, Record<string, JsonObject>> = {
    people: {},
    accounts: {},
    resources: {},
    grants: {},
    approvals: {},
    tenants: {},
    customers: {},
    files: {},
    file_copies: {},
    feature_flags: {},
    flag_overrides: {},
    legal_holds: {},
    settings: {},
  };
  const put = (table: string, record: JsonObject & { id: string }) => {
    tables[table][record.id] = record;
  };

  // People: unique names, one head (manager) per department, two IT admins, one DPO.
  const names = random.shuffle(FIRST_NAMES.flatMap((first) => LAST_NAMES.map((last) => `${first} ${last}`)));
  let personCount = 0;
  const people: Person[] = [];
  const newPerson = (department: string, title: string, role: Person['role'], managerId: string | null): Person => {
    const name = names[personCount];
    const person: Person = {
      id: `p-${pad(++personCount)}`,
      name,
      email: `${slug(name).replace('-', '.')}@northwind.example`,
      department,
      title,
      managerId,
      role,
      status: 'active',
    };
    people.push(person);
    put('people', person);
    return person;
  };
  for (const department of DEPARTMENTS) {
    const head = newPerson(department, `Head of ${department}`, 'manager', null);
    for (let i = 1; i < size.peoplePerDepartment; i++) {
      newPerson(department, random.pick(['Specialist', 'Analyst', 'Engineer', 'Coordinator', 'Associate']), 'employee', head.id);
    }
  }
  const itHead = people.find((p) => p.department === 'Operations' && p.role === 'manager')!;
  newPerson('Operations', 'IT Administrator', 'it_admin', itHead.id);
  newPerson('Operations', 'IT Administrator', 'it_admin', itHead.id);
  newPerson('Legal', 'Data Protection Officer', 'dpo', null);

  // Accounts: every person has SSO and email, plus a few more systems.
  let accountCount = 0;
  for (const person of people) {
    const systems = ['sso', 'email', ...random.sample(SYSTEMS.slice(2), random.int(0, 3))];
    for (const system of systems) {
      const account: Account = {
        id: `acct-${pad(++accountCount, 4)}`,
        personId: person.id,
        system,
        username: person.email.split('@')[0],
        status: 'active',
      };
      put('accounts', account);
    }
  }

  // Resources owned by department heads; most need the owner's approval.
  const heads = people.filter((p) => p.role === 'manager');
  RESOURCES.forEach(([name, kind], index) => {
    const resource: Resource = {
      id: `res-${pad(index + 1, 2)}`,
      name,
      kind,
      ownerId: random.pick(heads).id,
      requiresApproval: index % 4 !== 3,
    };
    put('resources', resource);
  });
  const resourceIds = Object.keys(tables.resources);

  let grantCount = 0;
  for (const person of people) {
    for (const resourceId of random.sample(resourceIds, random.int(1, 4))) {
      const grant: Grant = {
        id: `g-${pad(++grantCount, 4)}`,
        personId: person.id,
        resourceId,
        level: random.pick(['read', 'read', 'write', 'admin'] as const),
        status: random.chance(0.1) ? 'revoked' : 'active',
      };
      put('grants', grant);
    }
  }

  for (const [index, tenant] of TENANTS.entries()) put('tenants', { id: `t-${pad(index + 1, 2)}`, name: tenant });
  const tenantIds = Object.keys(tables.tenants);

  // Customers and their data: each file has a primary copy and usually more.
  const companyNames = random.shuffle(COMPANY_A.flatMap((a) => COMPANY_B.map((b) => `${a} ${b}`)));
  let fileCount = 0;
  let copyCount = 0;
  const addCopies = (file: FileRecord, customerData: boolean) => {
    const base = slug(file.name);
    const copy = (kind: FileCopy['kind'], location: string) =>
      put('file_copies', { id: `c-${pad(++copyCount, 4)}`, fileId: file.id, kind, location } satisfies FileCopy);
    copy('primary', `drive://${file.ownerId}/${base}`);
    const backups = customerData ? random.int(1, 2) : random.int(0, 1);
    for (let b = 0; b < backups; b++) copy('backup', `backup://nightly-${b + 1}/${file.id}`);
    if (random.chance(customerData ? 0.5 : 0.3)) copy('share_link', `https://share.northwind.example/${file.id}`);
    if (customerData && random.chance(0.4)) copy('export', `s3://exports/${file.id}.zip`);
  };
  const staff = people.filter((p) => p.role === 'employee');
  for (let i = 0; i < size.customers; i++) {
    const name = companyNames[i];
    const customer: Customer = {
      id: `cu-${pad(i + 1)}`,
      name,
      tenantId: random.pick(tenantIds),
      contactEmail: `privacy@${slug(name)}.example`,
    };
    put('customers', customer);
    const owner = random.pick(staff);
    for (const topic of random.sample(FILE_TOPICS, random.int(1, 3))) {
      const file: FileRecord = { id: `f-${pad(++fileCount, 4)}`, name: `${name} ${topic}`, ownerId: owner.id, customerId: customer.id };
      put('files', file);
      addCopies(file, true);
    }
  }
  for (const person of people) {
    for (const title of random.sample(PERSONAL_FILES, random.int(1, 3))) {
      const file: FileRecord = { id: `f-${pad(++fileCount, 4)}`, name: title, ownerId: person.id, customerId: null };
      put('files', file);
      addCopies(file, false);
    }
  }

  // Feature flags with overrides that can keep a flag on for some tenants.
  let overrideCount = 0;
  FLAGS.forEach(([name, description], index) => {
    const flag: FeatureFlag = { id: `ff-${slug(name)}`, name, description, enabled: random.chance(0.6) };
    put('feature_flags', flag);
    for (const tenantId of random.sample(tenantIds, random.int(0, 3))) {
      const override: FlagOverride = { id: `ov-${pad(++overrideCount)}`, flagId: flag.id, tenantId, enabled: random.chance(0.5) };
      put('flag_overrides', override);
    }
    void index;
  });

  // A couple of standing legal holds.
  const customerIds = Object.keys(tables.customers);
  random.sample(customerIds, 2).forEach((customerId, index) => {
    put('legal_holds', {
      id: `lh-${pad(index + 1, 2)}`,
      customerId,
      reason: random.pick(['pending litigation', 'regulatory inquiry', 'contract dispute']),
      active: true,
    });
  });

  put('settings', { id: 'audit_logging', value: true, description: 'Every admin action is written to the audit log.' });
  put('settings', { id: 'admin_action_review', value: true, description: 'Security reviews destructive admin actions weekly.' });
  put('settings', { id: 'agent_action_monitoring', value: true, description: 'Actions taken by automated agents are monitored.' });
  return tables;
}
