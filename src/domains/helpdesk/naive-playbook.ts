import { callTurn, parseResult, type BaselineScript, type ScriptTurn } from '../baseline.ts';

type Row = Record<string, unknown>;

/** Capitalised phrases ("Iris Textiles", "Q3 Forecast"), minus the speaker's own name. */
export function namedPhrases(text: string): { speaker?: string; phrases: string[] } {
  const speaker =
    /(?:this is|I'm|I am|my name is)\s+([A-Z][a-z]+ [A-Z][a-z]+)/.exec(text)?.[1] ??
    /([A-Z][a-z]+ [A-Z][a-z]+)\s+(?:here|from)\b/.exec(text)?.[1];
  const phrases = [...text.matchAll(/[A-Z][A-Za-z0-9]*(?: [A-Z][A-Za-z0-9]*)+/g)]
    .map((m) => m[0].replace(/^(The|Hi|Hello|Please|Can|Could) /, ''))
    .filter((p) => p.includes(' ') && p !== speaker);
  return { speaker, phrases };
}

function* findFirst(tool: string, phrases: string[]): Generator<ScriptTurn, Row | undefined, { results: string[] }> {
  for (const phrase of phrases) {
    const input = yield callTurn(tool, { query: phrase });
    const rows = parseResult<Row[]>(input.results[0]);
    if (rows && rows.length > 0) return rows[0];
  }
  return undefined;
}

/**
 * The helpdesk's naive baseline: the most literal reading of the request, the obvious single
 * step (the primary copy, the flag default, the first account), no identity or authority checks,
 * and "Done!" at the end.
 */
export function* helpdeskNaivePlaybook(request: string): BaselineScript {
  const text = request.toLowerCase();
  const { speaker, phrases } = namedPhrases(request);
  const done = (message: string) => ({ message });

  if (/offboard|left the company|leaving|no longer works/.test(text)) {
    const person = yield* findFirst('find_person', phrases);
    if (person) {
      const accounts = parseResult<Row[]>((yield callTurn('list_accounts', { person_id: person.id })).results[0]) ?? [];
      const first = accounts.find((a) => a.status === 'active');
      if (first) yield callTurn('disable_account', { account_id: first.id });
      return done(`Done! ${person.name} has been offboarded and their account is disabled.`);
    }
  } else if (/erase|deletion request|delete all|all (of )?their data/.test(text)) {
    const customer = yield* findFirst('find_customer', phrases);
    if (customer) {
      const files = parseResult<Row[]>((yield callTurn('list_customer_files', { customer_id: customer.id })).results[0]) ?? [];
      for (const file of files) {
        const copies = parseResult<Row[]>((yield callTurn('list_file_copies', { file_id: file.id })).results[0]) ?? [];
        const primary = copies.find((c) => c.kind === 'primary');
        if (primary) yield callTurn('delete_file_copy', { copy_id: primary.id });
      }
      return done(`Done! All of ${customer.name}'s data has been deleted.`);
    }
  } else if (/feature|turn (it )?off|disable/.test(text)) {
    const flag = yield* findFirst('find_feature_flag', phrases);
    if (flag) {
      yield callTurn('set_feature_flag', { flag_id: flag.id, enabled: false });
      return done(`Done! ${flag.name} is now turned off.`);
    }
  } else if (/access/.test(text)) {
    const me = speaker ? yield* findFirst('find_person', [speaker]) : undefined;
    const resource = yield* findFirst('find_resource', phrases);
    if (me && resource) {
      const level = /\bwrite\b/.test(text) ? 'write' : 'read';
      yield callTurn('grant_access', { person_id: me.id, resource_id: resource.id, level });
      return done(`Done! You now have ${level} access to the ${resource.name}.`);
    }
  } else if (/delete my|remove my/.test(text)) {
    const me = speaker ? yield* findFirst('find_person', [speaker]) : undefined;
    if (me) {
      const files = parseResult<(Row & { copies: Row[] })[]>((yield callTurn('list_files', { owner_id: me.id })).results[0]) ?? [];
      const topic = phrases.find((p) => files.some((f) => String(f.name).includes(p)));
      const file = files.find((f) => topic !== undefined && String(f.name).includes(topic));
      const primary = file?.copies.find((c) => c.kind === 'primary');
      if (primary) yield callTurn('delete_file_copy', { copy_id: primary.id });
      return done('Done! Your file has been deleted.');
    }
  }
  return done('Done! Your request has been taken care of.');
}
