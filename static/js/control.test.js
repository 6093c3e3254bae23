// Tests of the facilitation's pure logic (control.js). Run: node --test static/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MINUTE, ServerClock, agoKey, assignmentFor, canChangeComment, checkComment, commentCounts, commentId, commentList,
  focusProps, formatClock, groupToFollow, newFocus, placeChanges, timerClearProps, timerExtendProps, timerPauseProps,
  timerResetProps, timerResumeProps, timerStartProps, timerState,
} from './control.js';
import { applyChanges, emptyState } from './batch.js';

test('server clock: the offset from welcome and pong times, the shortest round trip wins', () => {
  const c = new ServerClock();
  assert.equal(c.known, false);
  assert.equal(c.now(1000), 1000);
  // The server is 5 s ahead; a 400 ms round trip, then a 20 ms one.
  c.sample(10_000 + 5_000 + 200, 10_400, 10_000);
  assert.equal(c.offset, 5000);
  c.sample(20_000 + 5_000 + 10 + 30, 20_020, 20_000); // 30 ms error, but rtt 20
  assert.equal(c.offset, 5030);
  // A sample without a send time only counts while nothing better exists.
  c.sample(99_999_999, 30_000, null);
  assert.equal(c.offset, 5030);
  const d = new ServerClock();
  d.sample(7000, 2000);
  assert.equal(d.offset, 5000);
  assert.equal(d.now(100), 5100);
  // Bad values are ignored.
  assert.equal(d.sample(undefined, 1), false);
  assert.equal(d.sample(NaN, 1), false);
  // Old samples go: the clock follows a device whose time was changed.
  const e = new ServerClock({ keep: 2 });
  e.sample(1000, 1000, 999);
  e.sample(60_000 + 1000, 2000, 1900);
  e.sample(60_000 + 3000, 4000, 3900);
  assert.equal(e.offset, 59_050);
});

test('timer: remaining time from the server clock, with a device clock that is off', () => {
  const serverStart = 1_760_000_000_000;
  const meta = timerStartProps({ label: 'Travail en sous-groupes', durationMs: 30 * MINUTE, now: serverStart });
  assert.deepEqual(meta, {
    timerLabel: 'Travail en sous-groupes', timerDuration: 1_800_000, timerRunning: true,
    timerEndsAt: serverStart + 1_800_000, timerRemaining: 1_800_000,
  });
  // A phone whose clock is 2 min late still shows the room's time.
  const clock = new ServerClock();
  const phoneNow = serverStart - 2 * MINUTE + 10 * MINUTE;
  clock.sample(serverStart + 10 * MINUTE, phoneNow);
  const st = timerState(meta, clock.now(phoneNow));
  assert.equal(st.status, 'running');
  assert.equal(st.remaining, 20 * MINUTE);
  assert.equal(formatClock(st.remaining), '20:00');
  assert.equal(st.label, 'Travail en sous-groupes');
  // Less than a minute: "soon"; then over.
  const soon = timerState(meta, serverStart + 29 * MINUTE + 30_000);
  assert.ok(soon.soon && !soon.over);
  assert.equal(formatClock(soon.remaining), '00:30');
  const over = timerState(meta, serverStart + 31 * MINUTE + 5_000);
  assert.equal(over.status, 'over');
  assert.ok(over.over && !over.soon);
  assert.equal(formatClock(over.remaining), '+01:05');
});

test('timer: pause, resume, +5 min, reset, clear', () => {
  const t0 = 1_000_000;
  let meta = timerStartProps({ label: 'Restitution', durationMs: 10 * MINUTE, now: t0 });
  // Paused after 3 min: 7 min left, frozen.
  meta = { ...meta, ...timerPauseProps(meta, t0 + 3 * MINUTE) };
  assert.equal(meta.timerRunning, false);
  assert.equal(meta.timerRemaining, 7 * MINUTE);
  assert.equal(timerState(meta, t0 + 50 * MINUTE).remaining, 7 * MINUTE);
  assert.equal(timerState(meta, t0 + 50 * MINUTE).status, 'paused');
  // +5 min while paused.
  meta = { ...meta, ...timerExtendProps(meta, t0 + 4 * MINUTE) };
  assert.equal(meta.timerRemaining, 12 * MINUTE);
  assert.equal(meta.timerDuration, 15 * MINUTE);
  // Resumed 1 min later: ends 12 min after that.
  meta = { ...meta, ...timerResumeProps(meta, t0 + 5 * MINUTE) };
  assert.equal(meta.timerEndsAt, t0 + 17 * MINUTE);
  assert.equal(timerState(meta, t0 + 6 * MINUTE).remaining, 11 * MINUTE);
  // +5 min while running.
  meta = { ...meta, ...timerExtendProps(meta, t0 + 6 * MINUTE) };
  assert.equal(meta.timerEndsAt, t0 + 22 * MINUTE);
  assert.equal(timerState(meta, t0 + 6 * MINUTE).remaining, 16 * MINUTE);
  // +5 min once over: five more minutes from now.
  const late = t0 + 30 * MINUTE;
  assert.equal(timerState(meta, late).status, 'over');
  meta = { ...meta, ...timerExtendProps(meta, late) };
  assert.equal(timerState(meta, late).remaining, 5 * MINUTE);
  // Reset: the full duration, paused.
  meta = { ...meta, ...timerResetProps(meta) };
  assert.equal(timerState(meta, late).status, 'paused');
  assert.equal(timerState(meta, late).remaining, meta.timerDuration);
  // Clear: nothing to show.
  meta = { ...meta, ...timerClearProps() };
  assert.equal(timerState(meta, late).status, 'off');
  assert.equal(timerState({}, late).status, 'off');
  // Every value the server may take: whole and within 24 h.
  const big = timerExtendProps({ timerDuration: 86_400_000, timerRunning: false, timerRemaining: 86_300_000 }, 5.5);
  assert.equal(big.timerDuration, 86_400_000);
  assert.equal(big.timerRemaining, 86_400_000);
  for (const v of Object.values(timerStartProps({ durationMs: 1234.6, now: 99.4 }))) {
    if (typeof v === 'number') assert.ok(Number.isInteger(v));
  }
});

test('formatClock', () => {
  assert.equal(formatClock(0), '00:00');
  assert.equal(formatClock(59_200), '01:00');
  assert.equal(formatClock(1000), '00:01');
  assert.equal(formatClock(3_723_000), '1:02:03');
  assert.equal(formatClock(-400), '00:00');
  assert.equal(formatClock(-61_000), '+01:01');
});

test('focus: only one asked after the page loaded, and each once', () => {
  const loaded = 5000;
  assert.equal(newFocus({}, loaded), null);
  assert.equal(newFocus({ focusBoard: 'b1', focusSection: 'enjeux', focusAt: 4000 }, loaded), null, 'older than the page');
  const f = newFocus({ focusBoard: 'b1', focusSection: 'enjeux', focusAt: 6000 }, loaded);
  assert.deepEqual(f, { board: 'b1', section: 'enjeux', at: 6000, release: false });
  assert.equal(newFocus({ focusBoard: 'b1', focusSection: 'enjeux', focusAt: 6000 }, f.at), null, 'already acted on');
  assert.deepEqual(newFocus({ focusBoard: '', focusSection: '', focusAt: 7000 }, 6000), { board: '', section: '', at: 7000, release: true });
  assert.equal(newFocus({ focusBoard: 'b2', focusSection: 'nope', focusAt: 8000 }, 6000).section, '');
  assert.deepEqual(focusProps('b2', 'carte', 9000.4), { focusBoard: 'b2', focusSection: 'carte', focusAt: 9000 });
  assert.equal(focusProps('b2', 'zzz', 1).focusSection, '');
  assert.equal(focusProps('b2', 'commentaires', 1).focusSection, 'commentaires');
});

test('placements: an assign moves a participant once; the facilitator sets or creates it', () => {
  const st = emptyState();
  assert.equal(assignmentFor(st.elements, 'alice'), null);
  assert.equal(groupToFollow(st.elements, 'alice', ''), null);
  const first = placeChanges(st.elements, { client: 'alice', group: 'g2', name: ' Alice ' }, 'as1');
  assert.deepEqual(first, [{ kind: 'create', id: 'as1', elem: 'assign', props: { client: 'alice', group: 'g2', name: 'Alice' } }]);
  applyChanges(st, first, 'fac');
  assert.equal(groupToFollow(st.elements, 'alice', ''), 'g2');
  assert.equal(groupToFollow(st.elements, 'alice', 'g2'), null, 'already followed');
  assert.equal(groupToFollow(st.elements, 'bob', ''), null);
  const again = placeChanges(st.elements, { client: 'alice', group: 'g3', name: 'Alice' }, 'as2');
  assert.deepEqual(again, [{ kind: 'set', id: 'as1', props: { group: 'g3' } }]);
  applyChanges(st, again, 'fac');
  assert.equal(groupToFollow(st.elements, 'alice', 'g2'), 'g3');
  assert.deepEqual(assignmentFor(st.elements, 'alice'), { id: 'as1', client: 'alice', group: 'g3', name: 'Alice' });
});

test('comments: time order, counts, who may change them, the default kind', () => {
  const st = emptyState();
  const t1 = 1_760_000_000_000;
  const a = commentId(t1, () => 0.5);
  const b = commentId(t1 + 1, () => 0.1);
  assert.ok(a < b && /^[A-Za-z0-9_-]{1,64}$/.test(a), a);
  applyChanges(st, [{ kind: 'create', id: b, elem: 'comment', props: { text: 'Et la CAF ?', author: 'Léa', kind: 'piste', section: 'financement' } }], 'lea');
  applyChanges(st, [{ kind: 'create', id: a, elem: 'comment', props: { text: 'Bravo', author: 'Bob' } }], 'bob');
  applyChanges(st, [{ kind: 'create', id: 'zz-other', elem: 'comment', props: { text: 'Ancien', section: 'carte' } }], 'x');
  applyChanges(st, [{ kind: 'create', id: 'a1', elem: 'actor', props: { name: 'Mairie' } }], 'x');
  const list = commentList(st.elements);
  assert.deepEqual(list.map((c) => c.id), [a, b, 'zz-other']);
  assert.deepEqual(list[0], { id: a, by: 'bob', text: 'Bravo', author: 'Bob', kind: 'commentaire', section: '' });
  assert.equal(st.elements[a].props.kind, 'commentaire', 'the default kind is filled in');
  assert.deepEqual(commentCounts(st.elements), { commentaire: 2, piste: 1 });
  assert.ok(canChangeComment(list[0], { client: 'bob', role: 'participant' }));
  assert.ok(!canChangeComment(list[0], { client: 'lea', role: 'participant' }));
  assert.ok(canChangeComment(list[0], { client: 'anyone', role: 'facilitator' }));
  assert.ok(!canChangeComment(list[0], { client: 'bob', role: 'viewer' }));
  assert.ok(!canChangeComment({ ...list[0], by: '' }, { client: '', role: 'participant' }));
  assert.deepEqual(checkComment('  Associer la CAF  '), { text: 'Associer la CAF' });
  assert.deepEqual(checkComment('   '), { error: 'comments.errEmpty' });
  assert.deepEqual(checkComment('🌱'.repeat(501)), { error: 'comments.errLong' });
  assert.deepEqual(checkComment('🌱'.repeat(500)).text.length, 1000);
});

test('how long ago', () => {
  assert.deepEqual(agoKey(10_000), { key: 'control.agoNow', n: 0 });
  assert.deepEqual(agoKey(3 * MINUTE), { key: 'control.agoMin', n: 3 });
  assert.deepEqual(agoKey(2 * 3_600_000), { key: 'control.agoHour', n: 2 });
});

test('a running timer never shows more than was left when it started, whatever the clock', () => {
  const meta = timerStartProps({ label: 'Phase', durationMs: 120000, now: 1_000_000 });
  // A device whose server-clock estimate is 800 ms behind the facilitator's.
  const st = timerState(meta, 1_000_000 - 800);
  assert.equal(st.remaining, 120000);
  assert.equal(timerState(meta, 1_000_000 + 5000).remaining, 115000);
});
