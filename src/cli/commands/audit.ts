import type { Command } from 'commander';
import type { AuditOptions } from '../actions/audit.ts';
import { mergeStoreAlias, storeAliasOption, storeOption } from './store-option.ts';

/** `groundwork audit RUN_ID [--judge MODEL]`: audit a stored or imported run, store and print the results. */
export function registerAuditCommand(program: Command): void {
  program
    .command('audit')
    .description(
      'audit a stored run with every registered audit: claims vs state (confident failures), calibration, simulator fidelity (UGST), fault attribution, tool errors; results are stored',
    )
    .argument('<runId>', 'run id (see groundwork runs)')
    .option(
      '--judge <model>',
      'LLM judge (model spec or configured name) for claims in free text, τ-bench goal decomposition and LLM-user goal tracking',
    )
    .option('--config <file>', "YAML file with named models (same format as a run file); adds to the run's stored models")
    .option('--record <dir>', 'record every judge request and response in DIR (cassettes)')
    .option('--replay <dir>', 'answer every judge request from cassettes in DIR; no network')
    .addOption(storeOption())
    .addOption(storeAliasOption())
    .hook('preAction', mergeStoreAlias)
    .option('--json', 'print one JSON document on stdout')
    .action(async (runId: string, options: AuditOptions) => (await import('../actions/audit.ts')).auditAction(runId, options));
}
