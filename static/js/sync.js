// The Tablée protocol client (PROTOCOL.md v1), shared by every page.
//
// One Sync = one WebSocket that follows one or several boards. Each followed
// board is a BoardSync holding:
//   - the confirmed replica at the server's version `v` (and `epoch`),
//   - at most one submit in flight, and a pending batch composed from what the
//     user does meanwhile (see batch.js),
//   - the local view = confirmed + inflight + pending, which is what the UI
//     shows and edits.
// Incoming ops are transformed against inflight and pending (server op on the
// left), acks promote pending to the next submit, rejects are reported and
// followed by a resync, gaps trigger a hello with `since`. Unacknowledged work
// is kept in sessionStorage so a reload or a reconnect resends it with the
// same seq (the server dedupes).

import { apply, normalize } from './ot.js';
import { diffText } from './diff.js';
import {
  SECTIONS, applyBatch, applyChanges, batchToChanges, cloneState, composeBatch,
  emptyBatch, isEmptyBatch, salvageAfterReject, stateFromSnapshot, transformBatch,
} from './batch.js';
import { Emitter, backoffDelay, safeStorage, throttle, uuid } from './util.js';
import { ServerClock } from './control.js';

const CLIENT_KEY = 'tablee:client';
const RECORD_PREFIX = 'tablee:rec:';

export const DEFAULTS = {
  pingMs: 20000, // application-level ping
  pongTimeoutMs: 10000, // no frame at all this long after a ping: the link is dead
  connectTimeoutMs: 10000,
  presenceThrottleMs: 150,
  presenceHeartbeatMs: 10000, // others expire us after 30 s without news
  presenceTtlMs: 30000,
  persistDebounceMs: 250,
  retryAfterMs: 1500, // after a rate-limit reject
  maxBackoffMs: 5000,
  policyRetryMs: 30000, // close 1008: something is wrong, do not hammer
};

// Reject codes after which the same changes are sent again (new seq):
// the server could not take them now, or our seq/base was out of step.
const RETRYABLE = /rate|slow|busy|overload|unavailable|retry|try_again/i;
const RESYNC_AND_RETRY = new Set(['bad_seq', 'stale_base', 'bad_base']);
// A frame this large would be refused (close 1009) and resent forever.
const MAX_FRAME_CHARS = 700 * 1024;

// The client id of this browser tab: stable across reloads (sessionStorage),
// new for a duplicated tab (which copies sessionStorage: two live tabs with one
// id would hand out the same seqs). The duplicate is detected by asking the
// other tabs over a BroadcastChannel before the first hello.
export async function tabClientId({
  storage = safeStorage(() => globalThis.sessionStorage),
  BC = globalThis.BroadcastChannel,
  waitMs = 80,
} = {}) {
  let id = storage.get(CLIENT_KEY);
  let channel = null;
  if (typeof BC === 'function') {
    try { channel = new BC('tablee-tabs'); } catch { channel = null; }
  }
  if (id && channel) {
    const dup = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), waitMs);
      channel.onmessage = (ev) => {
        if (ev.data && ev.data.iam === id) { clearTimeout(timer); resolve(true); }
      };
      channel.postMessage({ who: id });
    });
    if (dup) {
      id = null;
      for (const k of storage.keys()) if (k && k.startsWith(RECORD_PREFIX)) storage.remove(k);
    }
  }
  if (!id) {
    id = uuid();
    storage.set(CLIENT_KEY, id);
  }
  if (channel) {
    const mine = id;
    channel.onmessage = (ev) => {
      if (ev.data && ev.data.who === mine) channel.postMessage({ iam: mine });
    };
  }
  return id;
}

export function defaultSocketURL(loc = globalThis.location) {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws`;
}

// ---------------------------------------------------------------------------

export class BoardSync extends Emitter {
  constructor(sync, id, { key, as = null, persist = true }) {
    super();
    this.sync = sync;
    this.id = id;
    this.key = key;
    this.as = as;
    this.persist = persist;
    this.v = 0;
    this.epoch = null;
    this.state = null; // confirmed replica at v
    this.local = null; // what the user sees: state + inflight + pending
    this.inflight = null; // { seq, base, batch }
    this.pending = null; // batch
    this.seq = 0;
    this.role = null;
    this.ready = false; // welcomed on the current connection
    this.resyncing = false;
    this.error = null;
    this.presence = new Map(); // client -> { client, name, focus, cursor, x, y, t }
    this.metaBy = {}; // meta prop -> client id of its last writer (as seen here)
    this.myPresence = null;
    this._holdUntil = 0;
    this._holdTimer = null;
    this._persistTimer = null;
    this._behindTimer = null;
    this._lastStatus = null;
    this._sendPresence = throttle(() => this._presenceNow(), sync.opts.presenceThrottleMs);
    if (persist) this._restore();
  }

  // ---- reading ----------------------------------------------------------

  get hasState() { return this.local !== null; }
  get canWrite() {
    return this.as !== 'viewer' && this.role !== 'viewer';
  }
  get isFacilitator() { return this.role === 'facilitator'; }
  // The workshop's control board (timer, focus, placements), not a group's.
  get isControl() { return !!(this.local && this.local.kind === 'control'); }
  get locked() { return !!(this.local && this.local.meta.locked === true); }
  get closed() { return !!(this.local && this.local.meta.closed === true); }
  // May this client change the fiche (texts, choices, map)? Not a viewer,
  // and not a participant while the facilitator has locked the board or
  // closed the workshop.
  get canEditFiche() {
    return this.canWrite && (this.isFacilitator || (!this.locked && !this.closed));
  }
  // May it write comments? Also while the board is locked (the room
  // comments while a group presents), not once the workshop is closed.
  get canComment() {
    return this.canWrite && (this.isFacilitator || !this.closed);
  }
  text(section) { return this.local ? (this.local.sections[section] ?? '') : ''; }
  get meta() { return this.local ? this.local.meta : {}; }
  get elements() { return this.local ? this.local.elements : {}; }

  status() {
    if (!this.sync.isOpen() || !this.ready) return 'offline';
    // The server said it cannot save this board now (storage down): edits
    // are kept here and sent again when it says "ok".
    if (this.degraded) return 'degraded';
    if (this.inflight || !isEmptyBatch(this.pending)) return 'sending';
    return 'saved';
  }

  // Others on this board, by name; entries not refreshed for 30 s are left out.
  people() {
    const now = this.sync.now();
    return [...this.presence.values()]
      .filter((p) => now - p.t < this.sync.opts.presenceTtlMs)
      .sort((a, b) => String(a.name).localeCompare(String(b.name)));
  }

  // ---- local edits ------------------------------------------------------

  // `op` applies to the current local text of `section`.
  submitText(section, op) {
    if (!this.local || !this.canEditFiche) return false;
    const clean = normalize(op);
    if (!clean.length) return true;
    this.local.sections[section] = apply(this.local.sections[section] ?? '', clean);
    const b = emptyBatch();
    b.text[section] = clean;
    this._queue(b);
    return true;
  }

  setMeta(props) {
    if (!this.local || !this.canEditFiche) return false;
    Object.assign(this.local.meta, props);
    for (const k of Object.keys(props)) this.metaBy[k] = this.sync.client;
    const b = emptyBatch();
    b.meta = { ...props };
    this._queue(b);
    this.emit('meta', this.local.meta);
    return true;
  }

  changeElements(changes) {
    if (!this.local || !this.canWrite) return false;
    if (!this.canEditFiche && !(this.canComment && this._onlyComments(changes))) return false;
    applyChanges(this.local, changes, this.sync.client);
    const b = emptyBatch();
    b.elems = JSON.parse(JSON.stringify(changes));
    this._queue(b);
    this.emit('elements', this.local.elements);
    return true;
  }

  _onlyComments(changes) {
    const els = this.local.elements;
    return changes.length > 0 && changes.every((c) => (c.kind === 'create' ? c.elem === 'comment'
      : (c.kind === 'set' || c.kind === 'delete') && (!els[c.id] || els[c.id].elem === 'comment')));
  }

  // { focus, cursor, x, y }; a missing or null field is left out (the
  // server takes no null), and a presence without focus means "nowhere".
  setPresence(p) {
    const mine = {};
    for (const k of ['focus', 'cursor', 'x', 'y']) {
      if (p[k] !== null && p[k] !== undefined) mine[k] = p[k];
    }
    this.myPresence = mine;
    this._sendPresence();
  }

  _queue(b) {
    this.pending = composeBatch(this.pending, b);
    this._persistSoon();
    this.flush();
    this._emitStatus();
  }

  // Sends the pending batch when nothing is in flight.
  flush() {
    if (!this.ready || this.resyncing || this.inflight || isEmptyBatch(this.pending)) return;
    if (!this.sync.isOpen()) return;
    const wait = this._holdUntil - this.sync.now();
    if (wait > 0) {
      if (!this._holdTimer) {
        this._holdTimer = this.sync.timers.setTimeout(() => { this._holdTimer = null; this.flush(); }, wait);
      }
      return;
    }
    this.seq += 1;
    this.inflight = { seq: this.seq, base: this.v, batch: this.pending };
    this.pending = null;
    this._persistNow(); // the seq must be on disk before it is on the wire
    this._sendInflight();
    this._emitStatus();
  }

  _sendInflight() {
    const msg = {
      type: 'submit',
      board: this.id,
      seq: this.inflight.seq,
      base: this.inflight.base,
      changes: batchToChanges(this.inflight.batch),
    };
    if (JSON.stringify(msg).length > MAX_FRAME_CHARS) {
      // Refuse it here as the server would (close 1009), without a loop.
      this.sync.timers.setTimeout(() => this._onReject({ seq: msg.seq, code: 'too_large', message: 'change too large' }), 0);
      return;
    }
    this.sync.send(msg);
  }

  // The connection was closed because of our in-flight frame (1009): never
  // send it again.
  _dropInflightTooLarge() {
    if (this.inflight) this._onReject({ seq: this.inflight.seq, code: 'too_large', message: 'change too large' });
  }

  // ---- protocol ---------------------------------------------------------

  helloMessage({ fresh = false } = {}) {
    const m = { type: 'hello', board: this.id, client: this.sync.client, name: this.sync.name, key: this.key };
    this._helloAt = this.sync.now(); // the welcome's `time` samples the server's clock
    if (this.as) m.as = this.as;
    if (!fresh && this.state && this.epoch != null) m.since = { v: this.v, epoch: this.epoch };
    return m;
  }

  _resync({ fresh = false } = {}) {
    if (this.resyncing && !fresh) return;
    this.resyncing = true;
    this.sync.send(this.helloMessage({ fresh }));
  }

  _onWelcome(msg) {
    this.sync.clock.sample(msg.time, this.sync.now(), this._helloAt);
    this.role = msg.role || this.role;
    this.error = null;
    const lastSeq = Number(msg.lastSeq) || 0;
    const sameEpoch = this.state && msg.epoch === this.epoch;
    if (Array.isArray(msg.ops) && !msg.snapshot) {
      if (!sameEpoch) { this._resync({ fresh: true }); return; }
      for (const op of msg.ops) {
        if (!this._applyCommitted(op)) { this._resync({ fresh: true }); return; }
      }
    } else if (msg.snapshot) {
      this._takeSnapshot(msg.snapshot, msg, lastSeq);
    } else {
      this._resync({ fresh: true });
      return;
    }
    this.seq = Math.max(this.seq, lastSeq);
    if (this.inflight && lastSeq >= this.inflight.seq) {
      // Committed, yet not among the ops we were given: we cannot place it.
      // Start over from a snapshot, which contains it.
      this._resync({ fresh: true });
      return;
    }
    const first = !this.ready;
    this.ready = true;
    this.resyncing = false;
    if (this.inflight) {
      // Not committed: it has been transformed up to v, resend it under its
      // original seq.
      this.inflight.base = this.v;
      this._sendInflight();
    }
    this._persistNow();
    if (first && this.myPresence) this._presenceNow();
    this.emit('welcome', { role: this.role, v: this.v });
    this.flush();
    this._emitStatus();
  }

  // Applies one committed version (an `op` message or a welcome op). Returns
  // false on a gap.
  _applyCommitted(op) {
    const v = Number(op.v);
    if (!(v > this.v)) return true; // duplicate
    if (v !== this.v + 1) return false;
    if (this.inflight && op.client === this.sync.client && op.seq === this.inflight.seq) {
      this._ackInflight(v);
      return true;
    }
    this._applyRemote(op.changes || [], op);
    this.v = v;
    return true;
  }

  _ackInflight(v) {
    applyBatch(this.state, this.inflight.batch, this.sync.client);
    this.v = v;
    this.inflight = null;
    this._persistNow();
  }

  // Rebases what we have not had committed over a remote text op on `section`
  // that applies to the confirmed text; returns the op that applies to the
  // local text.
  _rebase(section, op) {
    let r = op;
    if (this.inflight) r = transformBatch(this.inflight.batch, section, r);
    if (this.pending) r = transformBatch(this.pending, section, r);
    return r;
  }

  _applyRemote(changes, from) {
    let other = false;
    for (const c of changes) {
      if (c.kind === 'text') {
        const s = c.section;
        const r = this._rebase(s, c.op);
        this.state.sections[s] = apply(this.state.sections[s] ?? '', c.op);
        this.local.sections[s] = apply(this.local.sections[s] ?? '', r);
        this.emit('remote', { section: s, op: r, client: from && from.client });
      } else {
        applyChanges(this.state, [c], from && from.client);
        if (c.kind === 'meta' && from && from.client) {
          for (const k of Object.keys(c.props || {})) this.metaBy[k] = from.client;
        }
        other = true;
      }
    }
    if (other) {
      this._recomputeNonText();
      this.emit('meta', this.local.meta);
      this.emit('elements', this.local.elements);
    }
  }

  _takeSnapshot(snap, msg, lastSeq) {
    const fresh = stateFromSnapshot(snap);
    const sameEpoch = this.state && msg.epoch === this.epoch;
    if (!sameEpoch) {
      if (this.state && (this.inflight || !isEmptyBatch(this.pending))) {
        this.emit('lost', { reason: 'epoch', changes: this._outgoingChanges() });
      }
      this.inflight = null;
      this.pending = null;
    } else {
      // Same history, but the server's log no longer reaches our `since`:
      // treat the difference as one remote op and rebase our work over it.
      const base = cloneState(this.state);
      if (this.inflight && lastSeq >= this.inflight.seq) {
        applyBatch(base, this.inflight.batch);
        this.inflight = null;
      }
      for (const s of new Set([...Object.keys(base.sections), ...Object.keys(fresh.sections)])) {
        const before = base.sections[s] ?? '';
        const after = fresh.sections[s] ?? '';
        if (before !== after) this._rebase(s, diffText(before, after));
      }
    }
    this.state = fresh;
    this.v = Number(msg.v) || 0;
    this.epoch = msg.epoch;
    this._recomputeAll();
    this.emit('reset', {});
    this.emit('meta', this.local.meta);
    this.emit('elements', this.local.elements);
  }

  _outgoingChanges() {
    const out = [];
    if (this.inflight) out.push(...batchToChanges(this.inflight.batch));
    if (this.pending) out.push(...batchToChanges(this.pending));
    return out;
  }

  _recomputeAll() {
    const local = cloneState(this.state);
    try {
      applyBatch(local, this.inflight && this.inflight.batch, this.sync.client);
      applyBatch(local, this.pending, this.sync.client);
      this.local = local;
    } catch (err) {
      // Our own unsent work does not fit the text any more (should not
      // happen): report it rather than show a state nobody has.
      this.emit('lost', { reason: 'conflict', changes: this._outgoingChanges(), error: String(err) });
      this.inflight = null;
      this.pending = null;
      this.local = cloneState(this.state);
    }
  }

  _recomputeNonText() {
    const tmp = cloneState({ ...this.state, sections: {} });
    const strip = (b) => b && { text: {}, meta: b.meta, elems: b.elems };
    try {
      applyBatch(tmp, strip(this.inflight && this.inflight.batch), this.sync.client);
      applyBatch(tmp, strip(this.pending), this.sync.client);
    } catch { /* element changes never throw */ }
    this.local.meta = tmp.meta;
    this.local.elements = tmp.elements;
    this.local.deleted = tmp.deleted;
  }

  _onAck(msg) {
    if (!this.inflight || msg.seq !== this.inflight.seq) return; // a resend's second ack
    if (!this.ready || this.resyncing) return; // the welcome will tell
    const v = Number(msg.v);
    if (!(v > this.v)) return;
    if (v !== this.v + 1) { this._resync(); return; }
    this._ackInflight(v);
    this.flush();
    this._emitStatus();
  }

  _onOp(msg) {
    if (!this.ready || this.resyncing) return;
    if (!this._applyCommitted(msg)) { this._resync(); return; }
    this._persistSoon();
    this._emitStatus();
  }

  _onReject(msg) {
    if (!this.inflight || msg.seq !== this.inflight.seq) return;
    const refused = this.inflight;
    this.inflight = null;
    const info = { code: msg.code, message: msg.message, seq: msg.seq };
    if (RESYNC_AND_RETRY.has(msg.code)) {
      // Our seq or base was out of step with the server (lost storage, a
      // very old base): catch up, then send the same changes again.
      this.pending = composeBatch(refused.batch, this.pending);
      this._persistNow();
      this.emit('reject', { ...info, retrying: true, changes: batchToChanges(refused.batch) });
      this._resync();
      this._emitStatus();
      return;
    }
    if (RETRYABLE.test(String(msg.code || ''))) {
      this.pending = composeBatch(refused.batch, this.pending);
      this._holdUntil = this.sync.now() + this.sync.opts.retryAfterMs;
      this._persistNow();
      this.emit('reject', { ...info, retrying: true, changes: batchToChanges(refused.batch) });
      this.flush();
      this._emitStatus();
      return;
    }
    const { kept, droppedSections } = salvageAfterReject(refused.batch, this.pending);
    this.pending = kept;
    this._recomputeAll();
    this._persistNow();
    this.emit('reject', { ...info, retrying: false, sections: droppedSections, changes: batchToChanges(refused.batch) });
    this.emit('reset', {});
    this.emit('meta', this.local.meta);
    this.emit('elements', this.local.elements);
    this._resync();
    this._emitStatus();
  }

  _onPong(msg) {
    if (!this.ready || this.resyncing) return;
    const v = Number(msg.v);
    if (!(v > this.v)) return;
    // Ops may still be on their way; look again a moment later.
    if (this._behindTimer) return;
    this._behindTimer = this.sync.timers.setTimeout(() => {
      this._behindTimer = null;
      if (this.ready && !this.resyncing && this.v < v) this._resync();
    }, 3000);
  }

  _onPresence(msg) {
    if (!msg.client || msg.client === this.sync.client) return;
    if (msg.gone) {
      if (this.presence.delete(msg.client)) this.emit('presence', this.people());
      return;
    }
    const entry = { ...msg, t: this.sync.now() };
    delete entry.type;
    delete entry.board;
    this.presence.set(msg.client, entry);
    this.emit('presence', this.people());
  }

  _expirePresence(now) {
    let changed = false;
    for (const [client, p] of this.presence) {
      if (now - p.t >= this.sync.opts.presenceTtlMs) { this.presence.delete(client); changed = true; }
    }
    if (changed) this.emit('presence', this.people());
  }

  _presenceNow() {
    if (!this.ready || !this.myPresence || !this.canWrite) return;
    this._lastPresenceBeat = this.sync.now();
    this.sync.send({ type: 'presence', board: this.id, ...this.myPresence });
  }

  _onError(msg) {
    console.warn(`tablee: board ${this.id}: ${msg.code}: ${msg.message}`);
    if (!this.ready) {
      this.error = { code: msg.code, message: msg.message };
      this.resyncing = false;
    }
    this.emit('error', { code: msg.code, message: msg.message });
    this._emitStatus();
  }

  _onDown() {
    this.ready = false;
    this.resyncing = false;
    this._emitStatus();
  }

  _emitStatus() {
    const s = this.status();
    if (s !== this._lastStatus) {
      this._lastStatus = s;
      this.emit('status', s);
    }
  }

  // ---- persistence (sessionStorage, per tab) -----------------------------

  _recordKey() { return RECORD_PREFIX + this.id; }

  _restore() {
    const rec = this.sync.storage.getJSON(this._recordKey());
    if (!rec || rec.client !== this.sync.client || !rec.state) return;
    this.v = rec.v;
    this.epoch = rec.epoch;
    this.state = rec.state;
    this.inflight = rec.inflight;
    this.pending = rec.pending;
    this.seq = rec.seq || 0;
    this._recomputeAll();
  }

  _persistNow() {
    if (this._persistTimer) { this.sync.timers.clearTimeout(this._persistTimer); this._persistTimer = null; }
    if (!this.persist || !this.state) return;
    this.sync.storage.setJSON(this._recordKey(), {
      client: this.sync.client,
      v: this.v,
      epoch: this.epoch,
      state: this.state,
      inflight: this.inflight,
      pending: this.pending,
      seq: this.seq,
    });
  }

  _persistSoon() {
    if (!this.persist || this._persistTimer) return;
    this._persistTimer = this.sync.timers.setTimeout(() => {
      this._persistTimer = null;
      this._persistNow();
    }, this.sync.opts.persistDebounceMs);
  }

  _dispose() {
    this._sendPresence.cancel();
    for (const t of [this._holdTimer, this._persistTimer, this._behindTimer]) if (t) this.sync.timers.clearTimeout(t);
    this._persistNow();
  }
}

// ---------------------------------------------------------------------------

export class Sync extends Emitter {
  constructor({
    client,
    name = '',
    url = defaultSocketURL(),
    WebSocketImpl = globalThis.WebSocket,
    storage = safeStorage(() => globalThis.sessionStorage),
    timers = globalThis,
    now = () => Date.now(),
    random = Math.random,
    win = typeof window !== 'undefined' ? window : null,
    ...opts
  }) {
    super();
    this.client = client;
    this.name = name;
    this.url = url;
    this.WS = WebSocketImpl;
    this.storage = storage;
    this.timers = timers;
    this.now = now;
    this.random = random;
    this.win = win;
    this.opts = { ...DEFAULTS, ...opts };
    this.boards = new Map();
    this.clock = new ServerClock(); // from the `time` of welcome and pong
    this.deleted = false;
    this.ws = null;
    this.open = false;
    this.everOpened = false;
    this.attempt = 0;
    this.stopped = true;
    this._timers = {};
    this._lastRx = 0;
    this._onOnline = () => { if (!this.open && !this.stopped) { this.attempt = 0; this._connect(); } };
    this._onOffline = () => { if (this.ws) this._down(this.ws, 0); };
    this._onHide = () => { for (const b of this.boards.values()) b._persistNow(); };
    this._onVisible = () => {
      if (this.win && this.win.document && this.win.document.visibilityState === 'visible') {
        if (this.open) this._ping();
        else if (!this.stopped) { this.attempt = 0; this._connect(); }
      } else {
        this._onHide();
      }
    };
  }

  follow(boardId, { key, as = null, persist = as !== 'viewer' } = {}) {
    let b = this.boards.get(boardId);
    if (b) return b;
    b = new BoardSync(this, boardId, { key, as, persist });
    this.boards.set(boardId, b);
    if (this.open) this.send(b.helloMessage());
    return b;
  }

  unfollow(boardId) {
    const b = this.boards.get(boardId);
    if (!b) return;
    if (this.open) this.send({ type: 'bye', board: boardId });
    b._dispose();
    this.boards.delete(boardId);
  }

  isOpen() { return this.open; }

  // The server's clock (Unix ms), as well as this device can tell.
  serverNow() { return this.clock.now(this.now()); }

  start() {
    if (!this.stopped) return this;
    this.stopped = false;
    if (this.win) {
      this.win.addEventListener('online', this._onOnline);
      this.win.addEventListener('offline', this._onOffline);
      this.win.addEventListener('pagehide', this._onHide);
      this.win.document?.addEventListener('visibilitychange', this._onVisible);
    }
    this._timers.presence = this.timers.setInterval(() => this._presenceTick(), 1000);
    this._connect();
    return this;
  }

  // After a 4004 that deleted only some of the boards: the page unfollowed
  // them; connect again for the others.
  resume() {
    if (!this.stopped || !this.deleted) return this;
    this.deleted = false;
    this.stopped = false;
    this.attempt = 0;
    this._timers.presence = this.timers.setInterval(() => this._presenceTick(), 1000);
    this._connect();
    return this;
  }

  stop() {
    this.stopped = true;
    for (const id of [...this.boards.keys()]) this.unfollow(id);
    for (const k of Object.keys(this._timers)) {
      this.timers.clearTimeout(this._timers[k]);
      this.timers.clearInterval(this._timers[k]);
    }
    this._timers = {};
    if (this.win) {
      this.win.removeEventListener('online', this._onOnline);
      this.win.removeEventListener('offline', this._onOffline);
      this.win.removeEventListener('pagehide', this._onHide);
      this.win.document?.removeEventListener('visibilitychange', this._onVisible);
    }
    const ws = this.ws;
    this.ws = null;
    this.open = false;
    if (ws) { try { ws.close(1000); } catch { /* already closed */ } }
  }

  send(msg) {
    if (!this.open || !this.ws) return false;
    try {
      this.ws.send(JSON.stringify(msg));
      return true;
    } catch {
      return false;
    }
  }

  _clearTimer(name) {
    const t = this._timers[name];
    if (t != null) { this.timers.clearTimeout(t); this.timers.clearInterval(t); delete this._timers[name]; }
  }

  _connect() {
    this._clearTimer('reconnect');
    if (this.stopped) return;
    if (this.ws) { const old = this.ws; this.ws = null; try { old.close(); } catch { /* ignore */ } }
    let ws;
    try {
      ws = new this.WS(this.url);
    } catch {
      this._scheduleReconnect(0);
      return;
    }
    this.ws = ws;
    this._timers.connect = this.timers.setTimeout(() => {
      if (this.ws === ws && !this.open) this._down(ws, 0);
    }, this.opts.connectTimeoutMs);
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this._clearTimer('connect');
      this.open = true;
      this.everOpened = true;
      this.attempt = 0;
      this._lastRx = this.now();
      for (const b of this.boards.values()) {
        b.ready = false;
        b.resyncing = false;
        this.send(b.helloMessage());
      }
      this._timers.ping = this.timers.setInterval(() => this._ping(), this.opts.pingMs);
      this.emit('connection', 'open');
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      this._lastRx = this.now();
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      this._dispatch(msg);
    };
    ws.onclose = (ev) => { if (this.ws === ws) this._down(ws, ev && ev.code); };
    ws.onerror = () => { /* a close event follows */ };
  }

  _down(ws, code) {
    if (this.ws !== ws) return;
    this.ws = null;
    const wasOpen = this.open;
    this.open = false;
    try { ws.close(); } catch { /* ignore */ }
    this._clearTimer('ping');
    this._clearTimer('pong');
    this._clearTimer('connect');
    for (const b of this.boards.values()) b._onDown();
    if (wasOpen) this.emit('connection', 'closed');
    this._scheduleReconnect(code);
  }

  _scheduleReconnect(code) {
    if (this.stopped) return;
    let delay;
    if (code === 4004) {
      // A board this connection follows was deleted (its workshop, or its
      // group): reconnecting would not bring it back. Stop, and let the page
      // find out which (it may unfollow the board and resume()).
      this.stopped = true;
      this.deleted = true;
      for (const b of this.boards.values()) {
        b.inflight = null;
        b.pending = null;
        this.storage.remove(b._recordKey());
      }
      for (const k of Object.keys(this._timers)) this._clearTimer(k);
      this.emit('deleted', {});
      this.emit('error', { code: 'deleted', message: 'this workshop was deleted' });
      return;
    }
    if (code === 4029) {
      // Too many refused keys: retrying cannot help, the user must fix the code.
      this.stopped = true;
      this.emit('error', { code: 'refused', message: 'too many refused keys' });
      return;
    }
    if (code === 1009) {
      for (const b of this.boards.values()) b._dropInflightTooLarge();
    }
    if (code === 1008) {
      // Policy violation (e.g. the origin was refused): retrying fast will not
      // help; tell the page and come back slowly.
      this.emit('error', { code: 'policy', message: 'connection refused by server policy' });
      delay = this.opts.policyRetryMs * (0.75 + this.random() / 2);
    } else if (this.win && this.win.navigator && this.win.navigator.onLine === false) {
      // No network at all: the 'online' event reconnects at once; until
      // then look now and again (onLine is not always right).
      delay = this.opts.maxBackoffMs;
    } else {
      // 4000-range (4008 "too slow") and everything else: reconnect, backing
      // off with jitter.
      delay = backoffDelay(this.attempt, { maxMs: this.opts.maxBackoffMs, random: this.random });
    }
    this.attempt += 1;
    this._timers.reconnect = this.timers.setTimeout(() => this._connect(), delay);
    this.emit('connection', 'waiting');
  }

  _ping() {
    if (!this.open) return;
    const sentAt = this.now();
    this._pingAt = sentAt;
    let sent = false;
    for (const b of this.boards.values()) {
      if (b.ready) { this.send({ type: 'ping', board: b.id }); sent = true; }
    }
    if (!sent) this.send({ type: 'ping' });
    this._clearTimer('pong');
    const ws = this.ws;
    this._timers.pong = this.timers.setTimeout(() => {
      delete this._timers.pong;
      if (this.ws === ws && this._lastRx < sentAt) this._down(ws, 0); // dead link
    }, this.opts.pongTimeoutMs);
  }

  _presenceTick() {
    const now = this.now();
    for (const b of this.boards.values()) {
      b._expirePresence(now);
      if (b.myPresence && b.ready && now - (b._lastPresenceBeat || 0) >= this.opts.presenceHeartbeatMs) {
        b._presenceNow();
      }
    }
  }

  _dispatch(msg) {
    if (!msg || typeof msg !== 'object') return;
    const b = msg.board != null ? this.boards.get(msg.board) : null;
    switch (msg.type) {
      case 'welcome': if (b) b._onWelcome(msg); break;
      case 'ack': if (b) b._onAck(msg); break;
      case 'op': if (b) b._onOp(msg); break;
      case 'reject': if (b) b._onReject(msg); break;
      case 'presence': if (b) b._onPresence(msg); break;
      case 'pong':
        this.clock.sample(msg.time, this.now(), this._pingAt);
        if (b) b._onPong(msg);
        break;
      case 'status':
        if (b) {
          b.degraded = msg.storage === 'degraded';
          b._emitStatus();
        }
        break;
      case 'error':
        if (b) b._onError(msg);
        else this.emit('error', { code: msg.code, message: msg.message });
        break;
      default: break; // unknown types from a newer server are ignored
    }
  }
}

export { SECTIONS };
