import { GroundworkError } from '../errors.ts';
import type { Store } from './store.ts';

/** PostgreSQL store (issue 16): being written; see /tmp/issue16/BRIEF.md. */
export class PostgresStore {
  static async open(_url: string): Promise<Store> {
    throw new GroundworkError('STORE_FAILED', 'the PostgreSQL store is not written yet');
  }
  static async openReadOnly(_url: string): Promise<Store> {
    throw new GroundworkError('STORE_FAILED', 'the PostgreSQL store is not written yet');
  }
}
