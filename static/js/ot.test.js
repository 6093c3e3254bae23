// Tests of ot.js: the vectors shared with the Go side, diffOp, and a small
// random convergence (TP1) check. Run: node --test static/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  apply, transform, compose, normalize, transformCursor, diffOp, check,
  MAX_OP_COMPS,
} from './ot.js';

const vectors = JSON.parse(
  fs.readFileSync(new URL('../../board/testdata/text-vectors.json', import.meta.url), 'utf8'),
);

const badOp = (err) => err instanceof Error && err.code === 'bad_op';

test('vectors: enough of them', () => {
  const total = Object.values(vectors).reduce((n, list) => n + list.length, 0);
  assert.ok(total >= 40, `only ${total} vectors`);
});

test('vectors: apply', () => {
  for (const v of vectors.apply) {
    const what = `apply ${JSON.stringify(v.doc)} ${JSON.stringify(v.op)}`;
    if (v.error) assert.throws(() => apply(v.doc, v.op), badOp, what);
    else assert.equal(apply(v.doc, v.op), v.result, what);
  }
});

test('vectors: transform', () => {
  for (const v of vectors.transform) {
    const what = `transform ${JSON.stringify(v.op)} ${JSON.stringify(v.other)} ${v.side}`;
    const got = transform(v.op, v.other, v.side);
    assert.deepEqual(got, v.result, what);
    // The result fits the text after other.
    apply(apply(v.doc, v.other), got);
  }
});

test('vectors: compose', () => {
  for (const v of vectors.compose) {
    const what = `compose ${JSON.stringify(v.a)} ${JSON.stringify(v.b)}`;
    const got = compose(v.a, v.b);
    assert.deepEqual(got, v.result, what);
    assert.equal(apply(v.doc, got), apply(apply(v.doc, v.a), v.b), what);
  }
});

test('vectors: normalize', () => {
  for (const v of vectors.normalize) {
    assert.deepEqual(normalize(v.op), v.result, `normalize ${JSON.stringify(v.op)}`);
  }
});

test('vectors: cursor', () => {
  for (const v of vectors.cursor) {
    assert.equal(transformCursor(v.cursor, v.op, v.own), v.result,
      `cursor ${v.cursor} ${JSON.stringify(v.op)} own=${v.own}`);
  }
});

test('check refuses bad shapes', () => {
  const bad = [
    null, 3, 'abc', { d: 1 }, [-1], [1.5], [NaN], [Infinity], [2 ** 30 + 1], [null], [true],
    [[1]], [{}], [{ d: 1, x: 2 }], [{ d: -1 }], [{ d: '1' }], [{ i: 'x' }],
    ['\ud83c'], ['\udf31'], ['a\ud83c\ud83cb'],
    new Array(MAX_OP_COMPS + 1).fill('a'),
  ];
  for (const op of bad) assert.throws(() => check(op), badOp, JSON.stringify(op)?.slice(0, 40));
  for (const op of [[], [0, '', { d: 0 }], [1, 1, 'a', 'b'], ['🌱'], [2 ** 30]]) check(op);
});

test('functions do not modify their arguments', () => {
  const a = [1, { d: 1 }, { d: 2 }, 'x', 'y', 3];
  const b = [2, { d: 1 }, 'z'];
  const snapshot = JSON.stringify([a, b]);
  normalize(a);
  transform(a, b, 'left');
  transform(b, a, 'right');
  compose(a, b);
  transformCursor(3, a, false);
  apply('abcdefgh', a);
  assert.equal(JSON.stringify([a, b]), snapshot);
});

test('transform refuses a bad side', () => {
  assert.throws(() => transform([], [], 'middle'));
});

// diffOp ---------------------------------------------------------------

test('diffOp: simple edits', () => {
  assert.deepEqual(diffOp('', ''), []);
  assert.deepEqual(diffOp('abc', 'abc', 1), []);
  assert.deepEqual(diffOp('', 'hé'), ['hé']);
  assert.deepEqual(diffOp('abc', ''), [{ d: 3 }]);
  assert.deepEqual(diffOp('abc', 'abXc', 3), [2, 'X']);
  assert.deepEqual(diffOp('abc', 'ac', 1), [1, { d: 1 }]);
  assert.deepEqual(diffOp('chat', 'chien', 5), [2, 'ien', { d: 2 }]);
  assert.deepEqual(diffOp('café', 'cafés', 5), [4, 's']);
});

test('diffOp: the caret decides among repeated letters', () => {
  // Typing "a" in "aa": at the start, in the middle, at the end.
  assert.deepEqual(diffOp('aa', 'aaa', 1), ['a']);
  assert.deepEqual(diffOp('aa', 'aaa', 2), [1, 'a']);
  assert.deepEqual(diffOp('aa', 'aaa', 3), [2, 'a']);
  // Without a hint the change goes as far right as it can.
  assert.deepEqual(diffOp('aa', 'aaa'), [2, 'a']);
  // Backspace in "aaa" leaving the caret at 1, or at 0.
  assert.deepEqual(diffOp('aaa', 'aa', 1), [1, { d: 1 }]);
  assert.deepEqual(diffOp('aaa', 'aa', 0), [{ d: 1 }]);
  // Pasting "abab" over nothing in the middle of "abab".
  assert.deepEqual(diffOp('abab', 'abababab', 4), ['abab']);
  assert.deepEqual(diffOp('abab', 'abababab', 6), [2, 'abab']);
  assert.deepEqual(diffOp('abab', 'abababab', 8), [4, 'abab']);
  // A hint out of range is clamped.
  assert.deepEqual(diffOp('aa', 'aaa', 99), [2, 'a']);
  assert.deepEqual(diffOp('aa', 'aaa', -4), ['a']);
});

test('diffOp: never cuts a surrogate pair', () => {
  // 🌱 and 🌲 share their high surrogate; 🌱 and 🍀 nothing.
  assert.deepEqual(diffOp('a🌱b', 'a🌲b', 3), [1, '🌲', { d: 2 }]);
  assert.deepEqual(diffOp('🌱', '🌲'), ['🌲', { d: 2 }]);
  // 🌱 (d83c df31) and 🔱 (d83d df31) share their low surrogate.
  assert.deepEqual(diffOp('x🌱', 'x🔱'), [1, '🔱', { d: 2 }]);
  assert.deepEqual(diffOp('🌱🌱', '🌱🌱🌱', 2), ['🌱']);
  assert.deepEqual(diffOp('🌱🌱', '🌱🌱🌱', 4), [2, '🌱']);
  assert.deepEqual(diffOp('👩‍👩‍👧', '👩‍👩‍👦', 8), [6, '👦', { d: 2 }]);
  assert.deepEqual(diffOp('é🌱', 'é', 1), [1, { d: 2 }]);
  // A caret inside a pair (which a textarea does not report) does no harm.
  assert.deepEqual(diffOp('🌱', '🌱🌱', 3), [2, '🌱']);
});

// Random: diffOp turns old into new in one minimal splice without cutting a
// pair, and transform converges (TP1) with the server's tie-break.
const atoms = ['a', 'b', ' ', 'é', 'ç', 'œ', '🌱', '🌲', '👩‍👩‍👧'];

function rng(seed) {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

function randText(r, max) {
  let s = '';
  for (let n = r(max + 1); n > 0; n--) s += atoms[r(atoms.length)];
  return s;
}

// randOp makes an op that fits doc, going over whole code points.
function randOp(r, doc) {
  const chars = Array.from(doc);
  const op = [];
  for (let i = 0; ;) {
    const k = r(10);
    if (k < 3) op.push(randText(r, 3));
    else if (k < 9 && i < chars.length) {
      let n = 0;
      for (let j = r(Math.min(chars.length - i, 6)) + 1; j > 0; j--) n += chars[i++].length;
      op.push(r(2) ? n : { d: n });
    } else if (i === chars.length || r(4) === 0) return op;
  }
}

test('random: diffOp', () => {
  const r = rng(7);
  for (let i = 0; i < 2000; i++) {
    const oldText = randText(r, 10);
    const newText = apply(oldText, randOp(r, oldText));
    const caret = r(newText.length + 1);
    const op = diffOp(oldText, newText, caret);
    assert.equal(apply(oldText, op), newText, JSON.stringify({ oldText, newText, caret, op }));
    assert.deepEqual(normalize(op), op);
    // One splice at most: [p?, insert?, delete?].
    assert.ok(op.filter((c) => typeof c !== 'number').length <= 2);
    assert.ok(op.length === 0 || typeof op[op.length - 1] !== 'number');
    // Minimal: the kept prefix and suffix are as long as they can be, less
    // at most one unit at each end for a pair that must stay whole.
    const most = Math.min(oldText.length, newText.length);
    let pre = 0;
    while (pre < most && oldText[pre] === newText[pre]) pre++;
    let suf = 0;
    while (suf < most && oldText.at(-1 - suf) === newText.at(-1 - suf)) suf++;
    const best = Math.min(pre + suf, most);
    const deleted = op.reduce((n, c) => n + (typeof c === 'object' ? c.d : 0), 0);
    const kept = oldText.length - deleted;
    assert.ok(kept >= best - 2, `not minimal: ${JSON.stringify({ oldText, newText, op, best })}`);
  }
});

test('random: transform converges (TP1) and compose matches apply', () => {
  const r = rng(11);
  for (let i = 0; i < 2000; i++) {
    const doc = randText(r, 10);
    const a = randOp(r, doc);
    const b = randOp(r, doc);
    const x = apply(apply(doc, a), transform(b, a, 'right'));
    const y = apply(apply(doc, b), transform(a, b, 'left'));
    assert.equal(x, y, JSON.stringify({ doc, a, b }));
    const c = randOp(r, apply(doc, a));
    assert.equal(apply(doc, compose(a, c)), apply(apply(doc, a), c), JSON.stringify({ doc, a, c }));
    const cursor = r(doc.length + 1);
    const after = apply(doc, a).length;
    for (const own of [false, true]) {
      const got = transformCursor(cursor, a, own);
      assert.ok(got >= 0 && got <= after, JSON.stringify({ doc, a, cursor, own, got }));
    }
  }
});
