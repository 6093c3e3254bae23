// Tests of diff.js. Run: node --test static/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffText } from './diff.js';
import { apply } from './ot.js';

const cases = [
  ['', ''], ['', 'abc'], ['abc', ''], ['base', '1base2'], ['abcdef', 'azcdxf'],
  ['🌱 coop', '🌿 coop'], ['é🌱é', 'é🌿é'], ['Faire ensemble', 'Faire corps'],
  ['ligne 1\nligne 2\nligne 3', 'ligne 0\nligne 1\nligne 3\nligne 4'],
];

test('diffText turns the old text into the new one', () => {
  for (const [a, b] of cases) assert.equal(apply(a, diffText(a, b)), b, `${a} → ${b}`);
});

test('diffText keeps separate edits separate', () => {
  assert.deepEqual(diffText('base', '1base2'), ['1', 4, '2']);
});

test('diffText random texts, including astral characters', () => {
  const alphabet = ['a', 'b', 'é', '🌱', '🌿', ' '];
  let seed = 7;
  const rnd = () => { seed = (seed * 48271) % 2147483647; return seed / 2147483647; };
  const word = () => Array.from({ length: Math.floor(rnd() * 12) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
  for (let i = 0; i < 500; i++) {
    const a = word();
    const b = word();
    assert.equal(apply(a, diffText(a, b)), b);
  }
});

test('diffText falls back to one splice past maxEdits', () => {
  const op = diffText('abcdefgh', 'hgfedcba', { maxEdits: 2 });
  assert.equal(apply('abcdefgh', op), 'hgfedcba');
});
