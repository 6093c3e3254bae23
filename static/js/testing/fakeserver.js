// A small in-memory Tablée server and network for the node tests of sync.js:
// it follows PROTOCOL.md for text and meta changes (transform against the log
// since `base`, committed op on the left; dedupe by client+seq; ack to the
// sender, op to the others) and lets a test decide when frames are delivered.

import { apply, normalize, transform } from '../ot.js';
import { SECTIONS, applyChanges } from '../batch.js';

export class Network {
  constructor() { this.queue = []; }
  post(fn) { this.queue.push(fn); }
  // Delivers frames (in order) until nothing is left, or `max` of them.
  flush(max = Infinity) {
    let n = 0;
    while (this.queue.length && n < max) { this.queue.shift()(); n++; }
    return n;
  }
}

export class FakeServer {
  constructor(net) {
    this.net = net;
    this.boards = new Map();
    this.conns = new Set();
    this.received = [];
    this.rejectNext = null; // { code, message } to refuse the next submit
    this.silent = false; // true: swallow everything (a dead link)
    this.logLimit = Infinity; // keep at most this many log entries
    this.clock = null; // a FakeClock: welcome and pong then carry `time`
    this.timeOffset = 0; // the server's clock minus the clients' clock
    this.forceRole = null; // the role every hello gets (e.g. 'facilitator')
  }

  time() { return this.clock ? this.clock.now() + this.timeOffset : undefined; }

  board(id) {
    if (!this.boards.has(id)) {
      const sections = {};
      for (const s of SECTIONS) sections[s] = '';
      this.boards.set(id, { id, v: 0, epoch: 'e1', sections, meta: {}, elements: {}, deleted: [], log: [], committed: new Map() });
    }
    return this.boards.get(id);
  }

  snapshot(b) {
    const sections = {};
    for (const [k, text] of Object.entries(b.sections)) sections[k] = { text };
    const snap = { board: b.id, workshop: 'w', group: b.kind === 'control' ? '' : 'g', v: b.v, epoch: b.epoch, sections, meta: { ...b.meta }, elements: JSON.parse(JSON.stringify(b.elements)) };
    if (b.kind) snap.kind = b.kind;
    return snap;
  }

  // Resets a board's history (a new epoch).
  resetEpoch(id, epoch = 'e2') {
    const b = this.board(id);
    b.epoch = epoch;
    b.v = 0;
    b.log = [];
    b.committed = new Map();
    for (const s of SECTIONS) b.sections[s] = '';
    b.meta = {};
    b.elements = {};
    b.deleted = [];
  }

  // A WebSocket class bound to this server.
  socketClass() {
    const server = this;
    return class FakeWebSocket {
      constructor(url) {
        this.url = url;
        this.readyState = 0;
        this.follows = new Set();
        this.sent = [];
        server.conns.add(this);
        server.net.post(() => {
          if (this.readyState !== 0) return;
          this.readyState = 1;
          this.onopen && this.onopen({});
        });
      }
      send(data) {
        if (this.readyState !== 1) throw new Error('not open');
        this.sent.push(JSON.parse(data));
        server.net.post(() => server.handle(this, JSON.parse(data)));
      }
      close(code = 1000) {
        if (this.readyState >= 2) return;
        this.readyState = 3;
        server.conns.delete(this);
        server.net.post(() => this.onclose && this.onclose({ code }));
      }
      // server side
      deliver(msg) {
        if (this.readyState !== 1 || server.silent) return;
        server.net.post(() => { if (this.readyState === 1) this.onmessage && this.onmessage({ data: JSON.stringify(msg) }); });
      }
      // The server drops the connection (e.g. 4008 too slow).
      kill(code = 4008) {
        if (this.readyState >= 2) return;
        this.readyState = 3;
        server.conns.delete(this);
        server.net.post(() => this.onclose && this.onclose({ code }));
      }
    };
  }

  handle(conn, msg) {
    if (this.silent) return; // frames sent before a close are still read
    this.received.push(msg);
    const b = msg.board ? this.board(msg.board) : null;
    switch (msg.type) {
      case 'hello': {
        conn.follows.add(msg.board);
        conn.client = msg.client;
        conn.name = msg.name;
        conn.role = msg.as === 'viewer' ? 'viewer' : (this.forceRole || 'participant');
        const committed = b.committed.get(msg.client);
        const lastSeq = committed ? Math.max(...committed.keys()) : 0;
        const w = { type: 'welcome', board: b.id, v: b.v, epoch: b.epoch, role: conn.role, lastSeq, time: this.time() };
        const since = msg.since;
        const first = b.log.length ? b.log[0].v : b.v + 1;
        if (since && since.epoch === b.epoch && since.v <= b.v && since.v + 1 >= first) {
          w.ops = b.log.filter((e) => e.v > since.v).map((e) => ({ v: e.v, client: e.client, seq: e.seq, changes: e.changes }));
        } else {
          w.snapshot = this.snapshot(b);
        }
        conn.deliver(w);
        break;
      }
      case 'submit': {
        const mine = b.committed.get(conn.client) || new Map();
        if (mine.has(msg.seq)) {
          conn.deliver({ type: 'ack', board: b.id, seq: msg.seq, v: mine.get(msg.seq) });
          break;
        }
        if (mine.size && msg.seq <= Math.max(...mine.keys())) {
          conn.deliver({ type: 'reject', board: b.id, seq: msg.seq, code: 'bad_seq', message: 'seq not above the last committed one' });
          break;
        }
        if (this.rejectNext) {
          const r = this.rejectNext;
          this.rejectNext = null;
          conn.deliver({ type: 'reject', board: b.id, seq: msg.seq, code: r.code, message: r.message });
          break;
        }
        if (conn.role === 'viewer') {
          conn.deliver({ type: 'reject', board: b.id, seq: msg.seq, code: 'forbidden', message: 'viewer' });
          break;
        }
        const changes = msg.changes.map((c) => {
          if (c.kind !== 'text') return c;
          let op = normalize(c.op);
          for (const e of b.log) {
            if (e.v <= msg.base) continue;
            for (const ec of e.changes) if (ec.kind === 'text' && ec.section === c.section) op = transform(op, ec.op, 'right');
          }
          return { ...c, op };
        });
        for (const c of changes) {
          if (c.kind === 'text') b.sections[c.section] = apply(b.sections[c.section], c.op);
          else applyChanges(b, [c], conn.client);
        }
        b.v += 1;
        mine.set(msg.seq, b.v);
        b.committed.set(conn.client, mine);
        b.log.push({ v: b.v, client: conn.client, seq: msg.seq, changes });
        while (b.log.length > this.logLimit) b.log.shift();
        conn.deliver({ type: 'ack', board: b.id, seq: msg.seq, v: b.v });
        for (const other of this.conns) {
          if (other !== conn && other.follows.has(b.id)) {
            other.deliver({ type: 'op', board: b.id, v: b.v, client: conn.client, seq: msg.seq, changes });
          }
        }
        break;
      }
      case 'presence':
        for (const other of this.conns) {
          if (other !== conn && other.follows.has(b.id)) {
            other.deliver({ ...msg, client: conn.client, name: conn.name });
          }
        }
        break;
      case 'ping':
        conn.deliver(b ? { type: 'pong', board: b.id, v: b.v, time: this.time() } : { type: 'pong', time: this.time() });
        break;
      case 'bye':
        conn.follows.delete(msg.board);
        for (const other of this.conns) {
          if (other !== conn && other.follows.has(b.id)) {
            other.deliver({ type: 'presence', board: b.id, client: conn.client, name: conn.name, gone: true });
          }
        }
        break;
      default:
        conn.deliver({ type: 'error', code: 'bad_message', message: 'unknown type' });
    }
  }
}

// Fake timers: nothing runs until the test advances the clock.
export class FakeClock {
  constructor() { this.t = 1000; this.timers = new Map(); this.next = 1; }
  now = () => this.t;
  setTimeout = (fn, ms) => { const id = this.next++; this.timers.set(id, { at: this.t + (ms || 0), fn }); return id; };
  clearTimeout = (id) => { this.timers.delete(id); };
  setInterval = (fn, ms) => { const id = this.next++; this.timers.set(id, { at: this.t + ms, fn, every: ms }); return id; };
  clearInterval = (id) => { this.timers.delete(id); };
  advance(ms) {
    const end = this.t + ms;
    for (;;) {
      let best = null;
      for (const [id, tm] of this.timers) if (tm.at <= end && (!best || tm.at < best[1].at)) best = [id, tm];
      if (!best) break;
      const [id, tm] = best;
      this.t = tm.at;
      if (tm.every) tm.at += tm.every; else this.timers.delete(id);
      tm.fn();
    }
    this.t = end;
  }
}

export function memoryStorage() {
  const m = new Map();
  return {
    getItem: (k) => (m.has(k) ? m.get(k) : null),
    setItem: (k, v) => { m.set(k, String(v)); },
    removeItem: (k) => { m.delete(k); },
    key: (i) => [...m.keys()][i] ?? null,
    get length() { return m.size; },
  };
}
