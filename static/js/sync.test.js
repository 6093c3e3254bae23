// Tests of the protocol client (sync.js) against an in-memory server.
// Run: node --test static/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sync } from './sync.js';
import { safeStorage } from './util.js';
import { diffOp } from './ot.js';
import { FakeClock, FakeServer, Network, memoryStorage } from './testing/fakeserver.js';

const S = 'enjeux';

function setup() {
  const net = new Network();
  const server = new FakeServer(net);
  const clock = new FakeClock();
  return { net, server, clock };
}

function client(env, { id = `c-${Math.random().toString(36).slice(2)}`, storage = memoryStorage(), board = 'B', as = null } = {}) {
  const sync = new Sync({
    client: id,
    name: id,
    url: 'ws://test/ws',
    WebSocketImpl: env.server.socketClass(),
    storage: safeStorage(() => storage),
    timers: env.clock,
    now: env.clock.now,
    random: () => 0.5,
    win: null,
    presenceThrottleMs: 0,
  });
  const b = sync.follow(board, { key: 'CODE', as });
  sync.start();
  return { sync, board: b, storage, id };
}

const insert = (board, pos, text, section = S) => {
  const op = pos ? [pos, text] : [text];
  assert.ok(board.submitText(section, op));
};

test('two clients typing at once converge on the server text', () => {
  const env = setup();
  const a = client(env);
  const b = client(env);
  env.net.flush();
  assert.equal(a.board.status(), 'saved');
  insert(a.board, 0, 'Bonjour');
  insert(b.board, 0, 'Salut é🌱');
  insert(a.board, 7, ' à tous');
  insert(b.board, 9, '!');
  env.net.flush();
  const server = env.server.board('B').sections[S];
  assert.equal(a.board.text(S), server);
  assert.equal(b.board.text(S), server);
  // Who goes first on a tie is the server's order; every keystroke is kept.
  for (const part of ['Bonjour', ' à tous', 'Salut é🌱', '!']) assert.ok(server.includes(part), part);
  assert.equal(server.length, 'Bonjour à tousSalut é🌱!'.length);
  assert.equal(a.board.status(), 'saved');
  assert.equal(a.board.v, env.server.board('B').v);
});

test('random concurrent edits converge (three clients, partial deliveries)', () => {
  let seed = 42;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const words = ['a', 'é', '🌱', 'coop', ' ', 'ß', '\n', 'xyz'];
  for (let round = 0; round < 30; round++) {
    const env = setup();
    const cs = [client(env), client(env), client(env)];
    env.net.flush();
    for (let step = 0; step < 40; step++) {
      const c = cs[Math.floor(rnd() * cs.length)];
      const text = c.board.text(S);
      const r = rnd();
      if (r < 0.6 || !text.length) {
        let pos = Math.floor(rnd() * (text.length + 1));
        if (pos > 0 && pos < text.length && /[\udc00-\udfff]/.test(text[pos])) pos -= 1;
        insert(c.board, pos, words[Math.floor(rnd() * words.length)]);
      } else if (r < 0.9) {
        // delete a range, through diffOp so that pairs are never split
        const chars = [...text];
        const from = Math.floor(rnd() * chars.length);
        const n = 1 + Math.floor(rnd() * 3);
        const next = chars.slice(0, from).concat(chars.slice(from + n)).join('');
        c.board.submitText(S, diffOp(text, next));
      } else {
        c.board.setMeta({ niveau: ['faire_ensemble', 'faire_avec', 'faire_corps'][Math.floor(rnd() * 3)] });
      }
      env.net.flush(Math.floor(rnd() * 4));
    }
    env.net.flush();
    const srv = env.server.board('B');
    for (const c of cs) {
      assert.equal(c.board.text(S), srv.sections[S], `round ${round}`);
      assert.equal(c.board.meta.niveau, srv.meta.niveau, `round ${round} meta`);
      assert.equal(c.board.status(), 'saved');
    }
  }
});

test('edits made offline are sent after reconnecting, exactly once', () => {
  const env = setup();
  const a = client(env);
  const b = client(env);
  env.net.flush();
  insert(a.board, 0, 'avant ');
  env.net.flush();
  // The server drops a (too slow); a keeps typing.
  [...env.server.conns].find((c) => c.client === a.id).kill(4008);
  env.net.flush();
  assert.equal(a.board.status(), 'offline');
  insert(a.board, 6, 'pendant');
  insert(b.board, 0, '>> ');
  env.net.flush();
  env.clock.advance(6000); // backoff
  env.net.flush();
  const srv = env.server.board('B').sections[S];
  assert.equal(srv, '>> avant pendant');
  assert.equal(a.board.text(S), srv);
  assert.equal(b.board.text(S), srv);
  assert.equal(a.board.status(), 'saved');
});

test('a submit committed whose ack was lost is not applied twice', () => {
  const env = setup();
  const a = client(env);
  const b = client(env);
  env.net.flush();
  insert(a.board, 0, 'une fois');
  // Deliver a's submit to the server, then cut the link before the ack.
  env.net.flush(1);
  const conn = [...env.server.conns].find((c) => c.client === a.id);
  conn.readyState = 3; // frames to a are lost from now on
  env.server.conns.delete(conn);
  conn.onclose({ code: 1006 });
  insert(b.board, 0, 'B:');
  env.net.flush();
  env.clock.advance(6000);
  env.net.flush();
  const srv = env.server.board('B');
  // Both inserted at 0; a's was committed first, so it stays first.
  assert.equal(srv.sections[S], 'une foisB:');
  assert.equal(a.board.text(S), srv.sections[S]);
  assert.equal(srv.log.filter((e) => e.client === a.id).length, 1);
});

test('a reload resends the unacknowledged submit under the same seq, and seqs keep growing', () => {
  const env = setup();
  const storage = memoryStorage();
  const a = client(env, { id: 'tab-1', storage });
  env.net.flush();
  insert(a.board, 0, 'abc');
  env.net.flush(1); // submit reaches the server; the ack is still queued
  a.board._persistNow();
  a.sync.stop(); // the page goes away
  env.net.queue.length = 0;
  // The same tab reloads: same client id, same sessionStorage.
  const a2 = client(env, { id: 'tab-1', storage });
  assert.equal(a2.board.text(S), 'abc', 'text shown before the server answers');
  env.net.flush();
  insert(a2.board, 3, 'd');
  env.net.flush();
  const srv = env.server.board('B');
  assert.equal(srv.sections[S], 'abcd');
  const seqs = srv.log.filter((e) => e.client === 'tab-1').map((e) => e.seq);
  assert.deepEqual(seqs, [1, 2]);
  assert.equal(a2.board.text(S), 'abcd');
});

test('a reject is reported, the local view goes back, and the client resyncs', () => {
  const env = setup();
  const a = client(env);
  env.net.flush();
  insert(a.board, 0, 'ok');
  env.net.flush();
  const rejects = [];
  a.board.on('reject', (r) => rejects.push(r));
  env.server.rejectNext = { code: 'locked', message: 'board locked' };
  insert(a.board, 2, ' refusé');
  env.net.flush();
  assert.equal(rejects.length, 1);
  assert.equal(rejects[0].code, 'locked');
  assert.equal(a.board.text(S), 'ok');
  const hellos = env.server.received.filter((m) => m.type === 'hello');
  assert.equal(hellos.length, 2);
  assert.deepEqual(hellos[1].since, { v: 1, epoch: 'e1' });
  // And it keeps working afterwards, with a fresh seq.
  insert(a.board, 2, '!');
  env.net.flush();
  assert.equal(env.server.board('B').sections[S], 'ok!');
  const seqs = env.server.received.filter((m) => m.type === 'submit').map((m) => m.seq);
  assert.deepEqual(seqs, [1, 2, 3]);
});

test('a rate-limit reject is retried, not dropped', () => {
  const env = setup();
  const a = client(env);
  env.net.flush();
  env.server.rejectNext = { code: 'rate_limited', message: 'slow down' };
  insert(a.board, 0, 'tenace');
  env.net.flush();
  assert.equal(a.board.text(S), 'tenace');
  assert.equal(a.board.status(), 'sending');
  env.clock.advance(2000);
  env.net.flush();
  assert.equal(env.server.board('B').sections[S], 'tenace');
  assert.equal(a.board.status(), 'saved');
});

test('an op after a gap triggers hello with since; duplicates are ignored', () => {
  const env = setup();
  const a = client(env);
  env.net.flush();
  const conn = [...env.server.conns][0];
  // Commit two versions behind a's back, then deliver only the second.
  const srv = env.server.board('B');
  srv.sections[S] = 'xy';
  srv.v = 2;
  srv.log.push({ v: 1, client: 'z', seq: 1, changes: [{ kind: 'text', section: S, op: ['x'] }] });
  srv.log.push({ v: 2, client: 'z', seq: 2, changes: [{ kind: 'text', section: S, op: [1, 'y'] }] });
  conn.deliver({ type: 'op', board: 'B', v: 2, client: 'z', seq: 2, changes: [{ kind: 'text', section: S, op: [1, 'y'] }] });
  env.net.flush();
  assert.equal(a.board.text(S), 'xy');
  assert.equal(a.board.v, 2);
  // A duplicate is ignored.
  conn.deliver({ type: 'op', board: 'B', v: 2, client: 'z', seq: 2, changes: [{ kind: 'text', section: S, op: [1, 'y'] }] });
  env.net.flush();
  assert.equal(a.board.text(S), 'xy');
  const hello = env.server.received.filter((m) => m.type === 'hello')[1];
  assert.deepEqual(hello.since, { v: 0, epoch: 'e1' });
});

test('a new epoch drops the state and takes the snapshot', () => {
  const env = setup();
  const a = client(env);
  env.net.flush();
  insert(a.board, 0, 'ancien');
  env.net.flush();
  env.server.resetEpoch('B', 'e2');
  const lost = [];
  a.board.on('lost', (l) => lost.push(l));
  [...env.server.conns][0].kill(4000);
  env.net.flush();
  insert(a.board, 6, ' non envoyé');
  env.clock.advance(6000);
  env.net.flush();
  assert.equal(a.board.epoch, 'e2');
  assert.equal(a.board.text(S), '');
  assert.equal(lost.length, 1);
  assert.equal(a.board.status(), 'saved');
});

test('same epoch but a truncated log: the snapshot is taken and pending work rebased', () => {
  const env = setup();
  env.server.logLimit = 1;
  const a = client(env);
  const b = client(env);
  env.net.flush();
  insert(a.board, 0, 'base');
  env.net.flush();
  // a goes offline; b writes several versions; a writes meanwhile.
  const connA = [...env.server.conns].find((c) => c.client === a.id);
  connA.kill(4008);
  env.net.flush();
  insert(b.board, 0, '1');
  env.net.flush();
  insert(b.board, 5, '2');
  env.net.flush();
  insert(a.board, 2, '!');
  env.clock.advance(6000);
  env.net.flush();
  const srv = env.server.board('B').sections[S];
  assert.equal(srv, '1ba!se2');
  assert.equal(a.board.text(S), srv);
  assert.equal(b.board.text(S), srv);
});

test('presence is relayed, ignored for oneself, and expires after 30 s', () => {
  const env = setup();
  const a = client(env, { id: 'alice' });
  const b = client(env, { id: 'bob' });
  env.net.flush();
  const seen = [];
  b.board.on('presence', (list) => seen.push(list.map((p) => `${p.name}:${p.focus}`)));
  a.board.setPresence({ focus: 'enjeux', cursor: 3 });
  env.net.flush();
  assert.deepEqual(seen.at(-1), ['alice:enjeux']);
  assert.equal(a.board.people().length, 0);
  // alice goes quiet (her tab is gone): after 30 s she is no longer listed.
  a.sync.stop();
  env.net.flush();
  env.clock.advance(31000);
  assert.deepEqual(b.board.people(), []);
  assert.deepEqual(seen.at(-1), []);
});

test('presence is repeated while idle so others keep seeing us', () => {
  const env = setup();
  const a = client(env, { id: 'alice' });
  const b = client(env, { id: 'bob' });
  env.net.flush();
  a.board.setPresence({ focus: null });
  env.net.flush();
  for (let i = 0; i < 10; i++) { env.clock.advance(5000); env.net.flush(); }
  assert.deepEqual(b.board.people().map((p) => p.name), ['alice']);
});

test('a dead link is noticed by the application ping and replaced', () => {
  const env = setup();
  const a = client(env);
  env.net.flush();
  env.server.silent = true;
  env.clock.advance(20000 + 10000 + 10);
  env.net.flush();
  assert.equal(a.board.status(), 'offline');
  env.server.silent = false;
  env.clock.advance(6000);
  env.net.flush();
  assert.equal(a.board.status(), 'saved');
});

test('close 1008 (policy) does not reconnect fast', () => {
  const env = setup();
  const a = client(env);
  env.net.flush();
  const errors = [];
  a.sync.on('error', (e) => errors.push(e.code));
  [...env.server.conns][0].kill(1008);
  env.net.flush();
  const before = env.server.received.filter((m) => m.type === 'hello').length;
  env.clock.advance(10000);
  env.net.flush();
  assert.equal(env.server.received.filter((m) => m.type === 'hello').length, before);
  assert.deepEqual(errors, ['policy']);
  env.clock.advance(40000);
  env.net.flush();
  assert.equal(a.board.status(), 'saved');
});

test('a viewer follows without writing', () => {
  const env = setup();
  const w = client(env, { as: 'viewer' });
  const a = client(env);
  env.net.flush();
  assert.equal(w.board.role, 'viewer');
  assert.equal(w.board.submitText(S, ['x']), false);
  insert(a.board, 0, 'vu');
  env.net.flush();
  assert.equal(w.board.text(S), 'vu');
  assert.ok(!env.server.received.some((m) => m.type === 'hello' && m.as === 'viewer' && m.since));
});

test('hello carries since after the first welcome, and the client id', () => {
  const env = setup();
  const a = client(env, { id: 'me' });
  env.net.flush();
  insert(a.board, 0, 'x');
  env.net.flush();
  [...env.server.conns][0].kill(4008);
  env.net.flush();
  env.clock.advance(6000);
  env.net.flush();
  const hellos = env.server.received.filter((m) => m.type === 'hello');
  assert.equal(hellos[0].since, undefined);
  assert.deepEqual(hellos[1].since, { v: 1, epoch: 'e1' });
  assert.equal(hellos[1].client, 'me');
  assert.equal(hellos[1].key, 'CODE');
});

test('a seq out of step (bad_seq) is caught up from welcome.lastSeq and the change resent', () => {
  const env = setup();
  const first = client(env, { id: 'same-tab' });
  env.net.flush();
  insert(first.board, 0, 'un');
  insert(first.board, 2, ' deux');
  env.net.flush();
  first.sync.stop();
  env.net.flush();
  // Same client id, but its storage is gone: it starts again from seq 1.
  const again = client(env, { id: 'same-tab' });
  env.net.flush();
  const rejects = [];
  again.board.on('reject', (r) => rejects.push(r));
  insert(again.board, 0, '> ');
  env.net.flush();
  assert.equal(env.server.board('B').sections[S], '> un deux');
  assert.equal(again.board.text(S), '> un deux');
  assert.equal(again.board.status(), 'saved');
  assert.ok(rejects.every((r) => r.retrying));
});

test('someone leaving (presence gone) disappears at once', () => {
  const env = setup();
  const a = client(env, { id: 'alice' });
  const b = client(env, { id: 'bob' });
  env.net.flush();
  a.board.setPresence({ focus: 'enjeux' });
  env.net.flush();
  assert.equal(b.board.people().length, 1);
  a.sync.stop();
  env.net.flush();
  assert.equal(b.board.people().length, 0);
});

test('close 4029 (too many refused keys) stops reconnecting', () => {
  const env = setup();
  const a = client(env);
  env.net.flush();
  const errors = [];
  a.sync.on('error', (e) => errors.push(e.code));
  [...env.server.conns][0].kill(4029);
  env.net.flush();
  env.clock.advance(120000);
  env.net.flush();
  assert.deepEqual(errors, ['refused']);
  assert.equal(env.server.conns.size, 0);
});

test('a "status" message from the server shows the board as degraded, then saved again', () => {
  const env = setup();
  const a = client(env);
  env.net.flush();
  assert.equal(a.board.status(), 'saved');
  const seen = [];
  a.board.on('status', () => seen.push(a.board.status()));
  a.sync._dispatch({ type: 'status', board: 'B', storage: 'degraded' });
  assert.equal(a.board.status(), 'degraded');
  a.sync._dispatch({ type: 'status', board: 'B', storage: 'ok' });
  assert.equal(a.board.status(), 'saved');
  assert.deepEqual(seen, ['degraded', 'saved']);
});
