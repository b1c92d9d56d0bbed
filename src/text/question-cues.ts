// Words in an agent's message that give the simulated user its chance to state a preference or
// a clarification. Shared by the tasks that declare such goal items and the audit that tracks them.

/** Agent questions that ask the user to confirm an action (the confirmation preference's chance). */
export const CONFIRM_ASKED = [
  'confirm',
  'proceed',
  'go ahead',
  'shall i',
  'should i',
  'do you want me to',
  'would you like me to',
  'are you sure',
  'is that ok',
  'ok to',
];
/** Agent questions that ask which of several things the user means (a clarification's chance). */
export const CLARIFY_ASKED = [
  'which one',
  'which of',
  'which file',
  'which version',
  'do you mean',
  'more than one',
  'two files',
  'multiple',
  'several',
];
