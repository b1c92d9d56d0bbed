import assert from 'node:assert/strict';
import { test } from 'node:test';
import { anchorId, escapeHtml, html, joinHtml, trustedHtml } from './escape.ts';

test('escapeHtml escapes every character that can open markup or end an attribute', () => {
  assert.equal(escapeHtml(`<a href="x" onclick='y'>&\`</a>`), '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;');
  assert.equal(escapeHtml(undefined), '');
  assert.equal(escapeHtml(3), '3');
});

test('html escapes interpolations (also inside arrays) but keeps its own fragments', () => {
  const payload = '<script>window.__pwned=1</script>';
  const inner = html`<b>${payload}</b>`;
  const out = html`<p title="${payload}">${inner}${[payload, html`<i>ok</i>`]}${false}${null}</p>`.value;
  assert.equal(
    out,
    '<p title="&lt;script&gt;window.__pwned=1&lt;/script&gt;"><b>&lt;script&gt;window.__pwned=1&lt;/script&gt;</b>&lt;script&gt;window.__pwned=1&lt;/script&gt;<i>ok</i></p>',
  );
  assert.equal(joinHtml(['<x>', trustedHtml('<br>')], '|').value, '&lt;x&gt;|<br>');
});

test('anchorId keeps only safe characters and keeps distinct ids distinct', () => {
  assert.equal(anchorId('ep', 'ep-1a_B'), 'ep-ep-1a_B');
  const a = anchorId('ep', 'x"><script>');
  assert.match(a, /^[A-Za-z0-9_-]+$/);
  assert.notEqual(anchorId('ep', 'a b'), anchorId('ep', 'a_b'));
  assert.notEqual(anchorId('ep', 'a.b'), anchorId('ep', 'a/b'));
});
