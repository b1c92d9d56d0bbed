import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GroundworkError } from '../errors.ts';
import { createHelpdeskDomain } from './helpdesk/index.ts';
import { createDomainRegistry } from './registry.ts';

test('a variant the domain was not built for is refused, naming the domain and the variant', () => {
  const registry = createDomainRegistry([
    ['helpdesk', createHelpdeskDomain],
    ['variants', (options) => ({ ...createHelpdeskDomain(), name: 'variants', variant: options.variant ?? 'plain' })],
  ]);
  assert.throws(
    () => registry.create('helpdesk', { variant: 'bm25' }),
    (error) =>
      GroundworkError.isInstance(error) &&
      /domain "helpdesk" has no variant "bm25"/.test(error.message) &&
      /no variants/.test(error.hint ?? ''),
  );
  assert.equal(registry.create('variants', { variant: 'bm25' }).variant, 'bm25');
  assert.equal(registry.create('variants').variant, 'plain');
});
