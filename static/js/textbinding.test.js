// Tests of textbinding.js with a minimal fake <textarea> that behaves like
// the browser's where it matters (setting .value puts the caret at the end;
// typing replaces the selection; composition events). Run: node --test static/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindText } from './textbinding.js';
import { Sync } from './sync.js';
import { safeStorage } from './util.js';
import { FakeClock, FakeServer, Network, memoryStorage } from './testing/fakeserver.js';

const S = 'enjeux';

class FakeField {
  constructor() {
    this.tagName = 'TEXTAREA';
    this.ownerDocument = { activeElement: null };
    this.style = {};
    this.scrollTop = 0;
    this.scrollHeight = 40;
    this.selectionStart = 0;
    this.selectionEnd = 0;
    this.selectionDirection = 'none';
    this.listeners = new Map();
    this._value = '';
  }
  get value() { return this._value; }
  set value(v) { this._value = v; this.selectionStart = this.selectionEnd = v.length; }
  addEventListener(type, fn) { if (!this.listeners.has(type)) this.listeners.set(type, []); this.listeners.get(type).push(fn); }
  removeEventListener(type, fn) { const l = this.listeners.get(type) || []; const i = l.indexOf(fn); if (i >= 0) l.splice(i, 1); }
  dispatch(type, ev = {}) { for (const fn of [...(this.listeners.get(type) || [])]) fn({ type, ...ev }); }
  setSelectionRange(a, b) { this.selectionStart = a; this.selectionEnd = b; }
  focus() { this.ownerDocument.activeElement = this; this.dispatch('focus'); }
  caret(pos) { this.selectionStart = this.selectionEnd = pos; }
  // The user types text at the caret (replacing the selection).
  type(text) {
    const v = this._value;
    this._value = v.slice(0, this.selectionStart) + text + v.slice(this.selectionEnd);
    this.selectionStart = this.selectionEnd = this.selectionStart + text.length;
    this.dispatch('input', { isComposing: false });
  }
  backspace() {
    const v = this._value;
    const at = this.selectionStart;
    if (!at) return;
    const n = at >= 2 && /[\udc00-\udfff]/.test(v[at - 1]) ? 2 : 1;
    this._value = v.slice(0, at - n) + v.slice(at);
    this.selectionStart = this.selectionEnd = at - n;
    this.dispatch('input', { isComposing: false });
  }
}

function setup() {
  const net = new Network();
  const server = new FakeServer(net);
  const clock = new FakeClock();
  return { net, server, clock };
}

function person(env, id) {
  const sync = new Sync({
    client: id, name: id, url: 'ws://t/ws', WebSocketImpl: env.server.socketClass(),
    storage: safeStorage(() => memoryStorage()), timers: env.clock, now: env.clock.now, win: null, random: () => 0.5,
  });
  const board = sync.follow('B', { key: 'CODE' });
  sync.start();
  env.net.flush();
  const field = new FakeField();
  const binding = bindText(field, board, S, { autoGrow: false });
  field.focus();
  return { sync, board, field, binding };
}

test('two people typing in the same section at once each keep their words together', () => {
  const env = setup();
  const a = person(env, 'alice');
  const z = person(env, 'zoe');
  a.field.type(' | ');
  env.net.flush();
  a.field.caret(0);
  z.field.caret(z.field.value.length);
  const wordsA = 'Nécessité partagée';
  const wordsZ = 'Plaisir 🌱 ensemble';
  const ca = [...wordsA];
  const cz = [...wordsZ];
  // One key each in turn, frames delivered a few at a time.
  for (let i = 0; i < Math.max(ca.length, cz.length); i++) {
    if (i < ca.length) a.field.type(ca[i]);
    if (i < cz.length) z.field.type(cz[i]);
    env.net.flush(3);
  }
  env.net.flush();
  const srv = env.server.board('B').sections[S];
  assert.equal(srv, `${wordsA} | ${wordsZ}`);
  assert.equal(a.field.value, srv);
  assert.equal(z.field.value, srv);
});

// Two people starting at the very same spot at the very same moment: the
// protocol breaks each tie by commit order (committed first stays first), so
// their keystrokes may interleave. Nothing is lost and everyone converges.
test('typing at the very same spot converges and loses no keystroke', () => {
  const env = setup();
  const a = person(env, 'alice');
  const z = person(env, 'zoe');
  const ca = [...'Nécessité'];
  const cz = [...'Plaisir 🌱'];
  for (let i = 0; i < Math.max(ca.length, cz.length); i++) {
    if (i < ca.length) a.field.type(ca[i]);
    if (i < cz.length) z.field.type(cz[i]);
    env.net.flush(3);
  }
  env.net.flush();
  const srv = env.server.board('B').sections[S];
  assert.equal(a.field.value, srv);
  assert.equal(z.field.value, srv);
  assert.deepEqual([...srv].sort(), [...ca, ...cz].sort());
});

test('the caret stays in place when someone else types before it', () => {
  const env = setup();
  const a = person(env, 'alice');
  const z = person(env, 'zoe');
  a.field.type('milieu');
  env.net.flush();
  z.field.caret(3); // "mil|ieu"
  a.field.caret(0);
  a.field.type('>> ');
  env.net.flush();
  assert.equal(z.field.value, '>> milieu');
  assert.equal(z.field.selectionStart, 6); // still between "mil" and "ieu"
  z.field.type('X');
  env.net.flush();
  assert.equal(a.field.value, '>> milXieu');
});

test('a remote edit during an IME composition waits for compositionend', () => {
  const env = setup();
  const a = person(env, 'alice');
  const z = person(env, 'zoe');
  a.field.type('Bonjour');
  env.net.flush();
  // zoé starts composing at the start ("e" before the final "é").
  z.field.caret(0);
  z.field.dispatch('compositionstart');
  z.field._value = `e${z.field._value}`;
  z.field.caret(1);
  z.field.dispatch('input', { isComposing: true });
  env.net.flush();
  assert.equal(env.server.board('B').sections[S], 'Bonjour', 'nothing sent mid-composition');
  // alice types meanwhile; zoé's field is not touched.
  a.field.type(' à tous');
  env.net.flush();
  assert.equal(z.field.value, 'eBonjour');
  // The composition ends with "é".
  z.field._value = `é${z.field._value.slice(1)}`;
  z.field.caret(1);
  z.field.dispatch('compositionend');
  env.net.flush();
  const srv = env.server.board('B').sections[S];
  assert.equal(srv, 'éBonjour à tous');
  assert.equal(z.field.value, srv);
  assert.equal(a.field.value, srv);
  assert.equal(z.field.selectionStart, 1, 'caret right after the composed letter');
});

test('random typing and deleting by three people converges, emoji intact', () => {
  let seed = 1234;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const keys = ['a', 'é', '🌱', ' ', 'Z', '\n'];
  for (let round = 0; round < 20; round++) {
    const env = setup();
    const ps = [person(env, 'p1'), person(env, 'p2'), person(env, 'p3')];
    for (let step = 0; step < 60; step++) {
      const p = ps[Math.floor(rnd() * ps.length)];
      const len = p.field.value.length;
      if (rnd() < 0.3) {
        // move the caret, never inside a surrogate pair
        let pos = Math.floor(rnd() * (len + 1));
        if (pos > 0 && pos < len && /[\udc00-\udfff]/.test(p.field.value[pos])) pos--;
        p.field.caret(pos);
      }
      if (rnd() < 0.75) p.field.type(keys[Math.floor(rnd() * keys.length)]);
      else p.field.backspace();
      env.net.flush(Math.floor(rnd() * 5));
    }
    env.net.flush();
    const srv = env.server.board('B').sections[S];
    for (const p of ps) assert.equal(p.field.value, srv, `round ${round}`);
    assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(srv), 'no lone surrogate');
  }
});
