// Tests of util.js and batch.js. Run: node --test static/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, charCount, fragmentParams, normalizeCode, throttle, uuid } from './util.js';
import { applyChanges, composeBatch, emptyBatch, emptyState, batchToChanges, salvageAfterReject, transformBatch } from './batch.js';
import { apply } from './ot.js';

test('normalizeCode: any case, spaces and dashes ignored', () => {
  assert.equal(normalizeCode('ab3-k9z'), 'AB3K9Z');
  assert.equal(normalizeCode(' AB3 K9Z '), 'AB3K9Z');
  assert.equal(normalizeCode('ab3–k9z'), 'AB3K9Z');
  assert.equal(normalizeCode(''), '');
  assert.equal(normalizeCode(null), '');
});

test('uuid: v4 shape, also without randomUUID (plain http)', () => {
  const re = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  assert.match(uuid(), re);
  const noRandomUUID = { getRandomValues: (b) => globalThis.crypto.getRandomValues(b) };
  assert.match(uuid(noRandomUUID), re);
  assert.notEqual(uuid(noRandomUUID), uuid(noRandomUUID));
});

test('backoffDelay grows, is capped near 5 s and jittered', () => {
  const lo = (n) => backoffDelay(n, { random: () => 0 });
  const hi = (n) => backoffDelay(n, { random: () => 1 });
  assert.equal(hi(0), 250);
  assert.equal(hi(1), 500);
  assert.equal(hi(10), 5000);
  assert.equal(hi(1000), 5000);
  assert.equal(lo(10), 2500);
});

test('fragmentParams reads #k=KEY', () => {
  assert.equal(fragmentParams('#k=abc%2Bdef').get('k'), 'abc+def');
  assert.equal(fragmentParams('').get('k'), null);
});

test('charCount counts what a person sees', () => {
  assert.equal(charCount('é🌱'), 2);
  assert.equal(charCount(''), 0);
});

test('throttle: leading call, then one trailing call with the last arguments', () => {
  let now = 0;
  const timers = [];
  const calls = [];
  const f = throttle((x) => calls.push(x), 100, {
    now: () => now,
    setTimer: (fn, ms) => { timers.push({ fn, at: now + ms }); return timers.length; },
    clearTimer: () => {},
  });
  f(1); f(2); f(3);
  assert.deepEqual(calls, [1]);
  now = 100;
  timers.shift().fn();
  assert.deepEqual(calls, [1, 3]);
});

test('composeBatch composes text per section and merges meta', () => {
  const a = emptyBatch();
  a.text.enjeux = ['ab'];
  a.meta = { niveau: 'faire_avec' };
  const b = emptyBatch();
  b.text.enjeux = [2, 'c'];
  b.text.calendrier = ['x'];
  b.meta = { done: true };
  const c = composeBatch(a, b);
  assert.equal(apply('', c.text.enjeux), 'abc');
  assert.deepEqual(c.meta, { niveau: 'faire_avec', done: true });
  assert.deepEqual(a.text.enjeux, ['ab'], 'inputs untouched');
  const kinds = batchToChanges(c).map((x) => x.kind);
  assert.deepEqual(kinds, ['text', 'text', 'meta']);
});

test('transformBatch: the committed op goes first on a tie', () => {
  const mine = emptyBatch();
  mine.text.enjeux = ['B'];
  const remote = transformBatch(mine, 'enjeux', ['A']);
  assert.equal(apply(apply('', ['A']), mine.text.enjeux), 'AB');
  assert.equal(apply(apply('', ['B']), remote), 'AB');
});

test('applyChanges follows the element rules of the protocol', () => {
  const st = emptyState();
  applyChanges(st, [
    { kind: 'create', id: 'a1', elem: 'actor', props: { name: 'Mairie' } },
    { kind: 'create', id: 'a2', elem: 'actor', props: { name: 'Asso', kind: 'association' } },
    { kind: 'create', id: 'l1', elem: 'link', props: { from: 'a1', to: 'a2' } },
  ]);
  assert.deepEqual(st.elements.a1.props, { name: 'Mairie', kind: 'autre', ring: 'proche' });
  assert.equal(st.elements.l1.props.kind, 'autre');
  applyChanges(st, [{ kind: 'set', id: 'a1', props: { ring: 'coeur' } }]);
  assert.equal(st.elements.a1.props.ring, 'coeur');
  applyChanges(st, [{ kind: 'delete', id: 'a1' }]);
  assert.equal(st.elements.a1, undefined);
  assert.equal(st.elements.l1, undefined, 'deleting an actor deletes its links');
  applyChanges(st, [
    { kind: 'set', id: 'a1', props: { name: 'x' } },
    { kind: 'create', id: 'l2', elem: 'link', props: { from: 'a1', to: 'a2' } },
  ]);
  assert.equal(st.elements.l2, undefined, 'a link to a deleted actor counts as deleted');
  assert.ok(st.deleted.includes('l2'));
  applyChanges(st, [{ kind: 'meta', props: { niveau: 'faire_corps' } }]);
  assert.equal(st.meta.niveau, 'faire_corps');
});

test('salvageAfterReject keeps pending work on untouched sections only', () => {
  const refused = emptyBatch();
  refused.text.enjeux = ['x'];
  const pending = emptyBatch();
  pending.text.enjeux = [1, 'y'];
  pending.text.calendrier = ['z'];
  pending.meta = { done: true };
  const { kept, droppedSections } = salvageAfterReject(refused, pending);
  assert.deepEqual(Object.keys(kept.text), ['calendrier']);
  assert.deepEqual(kept.meta, { done: true });
  assert.deepEqual(droppedSections, ['enjeux']);
});

test('composeBatch merges back-to-back sets of one element (a drag), and nothing else', () => {
  const a = emptyBatch();
  a.elems = [{ kind: 'set', id: 'a1', props: { x: 1, y: 1, ring: 'coeur' } }];
  let c = a;
  for (let i = 2; i <= 5; i++) {
    const b = emptyBatch();
    b.elems = [{ kind: 'set', id: 'a1', props: { x: i, y: i } }];
    c = composeBatch(c, b);
  }
  assert.deepEqual(c.elems, [{ kind: 'set', id: 'a1', props: { x: 5, y: 5, ring: 'coeur' } }]);
  assert.deepEqual(a.elems[0].props, { x: 1, y: 1, ring: 'coeur' }, 'inputs untouched');
  const other = emptyBatch();
  other.elems = [{ kind: 'set', id: 'a2', props: { name: 'B' } }, { kind: 'delete', id: 'a1' }, { kind: 'set', id: 'a1', props: { x: 9 } }];
  c = composeBatch(c, other);
  assert.deepEqual(c.elems.map((x) => `${x.kind}:${x.id}`), ['set:a1', 'set:a2', 'delete:a1', 'set:a1']);
  // Same result as applying them one by one.
  const st1 = emptyState();
  const st2 = emptyState();
  const base = [{ kind: 'create', id: 'a1', elem: 'actor', props: { name: 'A' } }, { kind: 'create', id: 'a2', elem: 'actor', props: { name: 'B' } }];
  applyChanges(st1, base);
  applyChanges(st2, base);
  const seq = [{ kind: 'set', id: 'a1', props: { x: 1, name: 'A1' } }, { kind: 'set', id: 'a1', props: { x: 2 } }];
  applyChanges(st1, seq);
  const b1 = emptyBatch();
  b1.elems = [seq[0]];
  const b2 = emptyBatch();
  b2.elems = [seq[1]];
  applyChanges(st2, batchToChanges(composeBatch(b1, b2)));
  assert.deepEqual(st2.elements, st1.elements);
});

test('salvageAfterReject drops the element changes that need a refused creation', () => {
  const refused = emptyBatch();
  refused.elems = [{ kind: 'create', id: 'a9', elem: 'actor', props: { name: 'X' } }];
  const pending = emptyBatch();
  pending.elems = [
    { kind: 'set', id: 'a9', props: { x: 3 } },
    { kind: 'create', id: 'l9', elem: 'link', props: { from: 'a1', to: 'a9' } },
    { kind: 'set', id: 'a1', props: { name: 'kept' } },
  ];
  const { kept } = salvageAfterReject(refused, pending);
  assert.deepEqual(kept.elems, [{ kind: 'set', id: 'a1', props: { name: 'kept' } }]);
  const onlyDependent = emptyBatch();
  onlyDependent.elems = [{ kind: 'set', id: 'a9', props: { x: 3 } }];
  assert.equal(salvageAfterReject(refused, onlyDependent).kept, null);
});
