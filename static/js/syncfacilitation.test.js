// Tests of what sync.js does for the facilitation (issue 4): who created an
// element, comments' default kind, the control board, locked and closed
// boards, the server's clock, a deleted workshop. Run: node --test static/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sync } from './sync.js';
import { safeStorage } from './util.js';
import { FakeClock, FakeServer, Network, memoryStorage } from './testing/fakeserver.js';

function setup() {
  const net = new Network();
  const server = new FakeServer(net);
  const clock = new FakeClock();
  server.clock = clock;
  return { net, server, clock };
}

function client(env, { id, board = 'B', as = null, storage = memoryStorage() } = {}) {
  const sync = new Sync({
    client: id, name: id, url: 'ws://test/ws', WebSocketImpl: env.server.socketClass(),
    storage: safeStorage(() => storage), timers: env.clock, now: env.clock.now, random: () => 0.5, win: null, presenceThrottleMs: 0,
  });
  const b = sync.follow(board, { key: 'CODE', as });
  sync.start();
  return { sync, board: b, storage };
}

const comment = (id, text, extra = {}) => ({ kind: 'create', id, elem: 'comment', props: { text, ...extra } });

// participantAndFacilitator connects alice as a participant, then fac as
// the facilitator, to one board.
function participantAndFacilitator() {
  const env = setup();
  const p = client(env, { id: 'alice' });
  env.net.flush();
  env.server.forceRole = 'facilitator';
  const f = client(env, { id: 'fac' });
  env.net.flush();
  return { env, p, f };
}

test('an element records who created it: from the op, from our own ack, from the snapshot', () => {
  const env = setup();
  const a = client(env, { id: 'alice' });
  const b = client(env, { id: 'bob' });
  env.net.flush();
  assert.ok(a.board.changeElements([comment('c1', 'Et la Région ?', { author: 'Alice', kind: 'piste' })]));
  assert.equal(a.board.elements.c1.by, 'alice', 'the local view');
  env.net.flush();
  assert.equal(a.board.state.elements.c1.by, 'alice', 'after our own ack');
  assert.equal(b.board.elements.c1.by, 'alice', 'from the op');
  assert.equal(b.board.elements.c1.props.kind, 'piste');
  assert.ok(b.board.changeElements([comment('c2', 'Bravo')]));
  env.net.flush();
  assert.equal(a.board.elements.c2.by, 'bob');
  assert.equal(a.board.elements.c2.props.kind, 'commentaire', 'the default kind');
  const late = client(env, { id: 'carla' });
  env.net.flush();
  assert.equal(late.board.elements.c1.by, 'alice', 'from the snapshot');
  assert.equal(late.board.elements.c2.by, 'bob');
});

test('the control board is read from the snapshot\'s kind', () => {
  const env = setup();
  env.server.board('S').kind = 'control';
  const a = client(env, { id: 'alice', board: 'S' });
  const g = client(env, { id: 'gus' });
  env.net.flush();
  assert.equal(a.board.isControl, true);
  assert.equal(g.board.isControl, false);
});

test('locked: the fiche is read-only for a participant, comments still go', () => {
  const { env, p, f } = participantAndFacilitator();
  assert.equal(f.board.role, 'facilitator');
  assert.ok(p.board.changeElements([comment('c1', 'mien')]));
  env.net.flush();
  assert.ok(f.board.setMeta({ locked: true }));
  env.net.flush();
  assert.equal(p.board.locked, true);
  assert.equal(p.board.canEditFiche, false);
  assert.equal(p.board.canComment, true);
  assert.equal(p.board.submitText('enjeux', ['x']), false);
  assert.equal(p.board.setMeta({ done: true }), false);
  assert.equal(p.board.changeElements([{ kind: 'create', id: 'a1', elem: 'actor', props: { name: 'Mairie' } }]), false);
  assert.equal(p.board.changeElements([comment('c2', 'x'), { kind: 'create', id: 'a2', elem: 'actor', props: { name: 'x' } }]), false);
  assert.ok(p.board.changeElements([comment('c3', 'Une piste', { kind: 'piste' })]));
  assert.ok(p.board.changeElements([{ kind: 'set', id: 'c1', props: { text: 'modifié' } }]));
  assert.ok(p.board.changeElements([{ kind: 'delete', id: 'c3' }]));
  // The facilitator still writes anything.
  assert.ok(f.board.submitText('enjeux', ['animé']));
  env.net.flush();
  assert.equal(p.board.text('enjeux'), 'animé');
  assert.equal(f.board.elements.c1.props.text, 'modifié');
  assert.equal(f.board.elements.c3, undefined);
});

test('closed: nothing for a participant, comments included; the facilitator writes', () => {
  const { env, p, f } = participantAndFacilitator();
  f.board.setMeta({ closed: true });
  env.net.flush();
  assert.equal(p.board.closed, true);
  assert.equal(p.board.canEditFiche, false);
  assert.equal(p.board.canComment, false);
  assert.equal(p.board.submitText('enjeux', ['x']), false);
  assert.equal(p.board.changeElements([comment('c1', 'x')]), false);
  assert.equal(f.board.canEditFiche, true);
  assert.ok(f.board.submitText('enjeux', ['bilan']));
  env.net.flush();
  assert.equal(p.board.text('enjeux'), 'bilan');
});

test('the server\'s clock from welcome and pong', () => {
  const env = setup();
  env.server.timeOffset = 90_000; // the phone is 90 s late
  const a = client(env, { id: 'alice' });
  env.net.flush();
  assert.equal(a.sync.clock.known, true);
  assert.equal(a.sync.serverNow() - env.clock.now(), 90_000);
  env.server.timeOffset = 91_000;
  env.clock.advance(20_000); // the ping
  env.net.flush();
  assert.equal(a.sync.serverNow() - env.clock.now(), 91_000);
});

test('a deleted workshop (close 4004): stop, say so, never reconnect', () => {
  const env = setup();
  const a = client(env, { id: 'alice' });
  env.net.flush();
  a.board.submitText('enjeux', ['pas envoyé']);
  let deleted = 0;
  const errors = [];
  a.sync.on('deleted', () => { deleted += 1; });
  a.sync.on('error', (e) => errors.push(e.code));
  [...env.server.conns][0].kill(4004);
  env.net.flush();
  assert.equal(deleted, 1);
  assert.deepEqual(errors, ['deleted']);
  assert.equal(a.sync.deleted, true);
  const hellos = env.server.received.filter((m) => m.type === 'hello').length;
  env.clock.advance(120_000);
  env.net.flush();
  assert.equal(env.server.received.filter((m) => m.type === 'hello').length, hellos, 'no reconnect');
  assert.equal(env.server.conns.size, 0);
  assert.equal(a.storage.length <= 1, true, 'the board\'s saved work is dropped');
});

test('after a 4004 for one board (a group removed), the page drops it and resumes', () => {
  const env = setup();
  const a = client(env, { id: 'fac', board: 'A' });
  const gone = a.sync.follow('G', { key: 'CODE' });
  env.net.flush();
  let deleted = 0;
  a.sync.on('deleted', () => { deleted += 1; });
  [...env.server.conns][0].kill(4004);
  env.net.flush();
  assert.equal(deleted, 1);
  assert.equal(gone.ready, false);
  a.sync.unfollow('G');
  a.sync.resume();
  env.clock.advance(1000);
  env.net.flush();
  assert.equal(a.sync.isOpen(), true);
  assert.equal(a.board.status(), 'saved');
  assert.ok(a.board.submitText('enjeux', ['encore']));
  env.net.flush();
  assert.equal(env.server.board('A').sections.enjeux, 'encore');
});
