export { TableState, type Tables, type TableSchemas, type RecordsOf, hashTables, freezeTables } from './table-state.ts';
export { diffStates, changesBetween, type RawFieldChange } from './diff.ts';
