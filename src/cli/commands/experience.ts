import type { Command } from 'commander';
import type { ExperienceListOptions } from '../actions/experience.ts';
import { EXPERIENCE_KINDS } from './constants.ts';
import { mergeStoreAlias, storeAliasOption, storeOption } from './store-option.ts';

/** `groundwork experience list`: stored experience with its provenance. */
export function registerExperienceCommand(program: Command): void {
  const experience = program
    .command('experience')
    .description('stored experience (reflections, insights, demonstrations, skills) and learning sessions');
  experience
    .command('list')
    .description('list experience records with their provenance (run, episodes, tasks, split, producer)')
    .option('--set <id>', 'only this experience set (a learning session id)')
    .option('--kind <kind>', `only this kind: ${EXPERIENCE_KINDS.join(', ')}`)
    .option('--family <family>', 'only this task family')
    .addOption(storeOption())
    .addOption(storeAliasOption())
    .hook('preAction', mergeStoreAlias)
    .option('--json', 'print one JSON document on stdout')
    .action(async (options: ExperienceListOptions) => (await import('../actions/experience.ts')).experienceListAction(options));
}
