import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXPORT_FORMATS } from '../../experience/export/schemas.ts';
import { EXPERIENCE_KINDS } from '../../schema/experience.ts';
import { DEFAULT_VIEWER_PORT } from '../../viewer/server.ts';
import * as help from './constants.ts';

test('the values command help repeats (to stay light) equal the ones their modules own', () => {
  assert.deepEqual(help.EXPERIENCE_KINDS, EXPERIENCE_KINDS);
  assert.deepEqual(help.EXPORT_FORMATS, EXPORT_FORMATS);
  assert.equal(help.DEFAULT_VIEWER_PORT, DEFAULT_VIEWER_PORT);
});
