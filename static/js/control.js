// Pure logic of the facilitation (issue 4): the server's clock, the phase
// timer, "everyone look here", placements of participants and comments.
// No DOM, no network: unit-tested with node --test (control.test.js).
//
// The control board's meta (server/PROTOCOL.md, "The control board"):
//   timerLabel, timerDuration, timerRunning, timerEndsAt (server clock, ms),
//   timerRemaining; focusBoard, focusSection, focusAt (server clock, ms).

import { SECTIONS } from './batch.js';

export const TIMER_MAX = 86_400_000; // 24 h, the server's bound
export const MINUTE = 60_000;
export const SOON_MS = MINUTE; // "less than a minute left"
export const COMMENT_MAX = 1000; // UTF-16 units, as the server counts
export const COMMENT_KINDS = ['commentaire', 'piste'];
// What a focus or a comment can be about.
export const FOCUS_SECTIONS = ['', ...SECTIONS, 'carte', 'commentaires'];
export const COMMENT_SECTIONS = ['', ...SECTIONS, 'carte'];

const whole = (n) => (Number.isFinite(n) ? Math.round(n) : 0);
const clampTimer = (n) => Math.max(0, Math.min(TIMER_MAX, whole(n)));

// ---- the server's clock --------------------------------------------------------

// Estimates the offset between this device's clock and the server's from the
// `time` of welcome and pong messages. Each sample is placed at the middle of
// its round trip when the send time is known; of the last few samples the one
// with the shortest round trip wins (the least uncertain, as NTP does).
export class ServerClock {
  constructor({ keep = 8 } = {}) {
    this.keep = keep;
    this.samples = [];
  }

  // serverTime: the message's `time`; receivedAt: local ms when it arrived;
  // sentAt: local ms when the hello or ping that it answers left (or null).
  sample(serverTime, receivedAt, sentAt = null) {
    if (typeof serverTime !== 'number' || !Number.isFinite(serverTime) || !Number.isFinite(receivedAt)) return false;
    const known = Number.isFinite(sentAt) && sentAt <= receivedAt;
    const rtt = known ? receivedAt - sentAt : Infinity;
    const local = known ? sentAt + rtt / 2 : receivedAt;
    this.samples.push({ offset: serverTime - local, rtt });
    while (this.samples.length > this.keep) this.samples.shift();
    return true;
  }

  get known() { return this.samples.length > 0; }

  // server ms - local ms (0 until a sample came).
  get offset() {
    let best = null;
    for (const s of this.samples) if (!best || s.rtt <= best.rtt) best = s;
    return best ? Math.round(best.offset) : 0;
  }

  now(localNow = Date.now()) { return localNow + this.offset; }
}

// ---- the phase timer ---------------------------------------------------------------

// What every device shows. remaining is negative once the time is over.
//   status: 'off' (nothing to show), 'running', 'paused', 'over'
export function timerState(meta, serverNow) {
  const m = meta || {};
  const duration = clampTimer(m.timerDuration);
  const running = m.timerRunning === true;
  let remaining;
  if (running) {
    remaining = whole(m.timerEndsAt) - serverNow;
    // timerRemaining is what was left when it was (re)started: a device
    // whose clock estimate lags the facilitator's never shows more than that.
    if (Number.isFinite(m.timerRemaining) && m.timerRemaining > 0) remaining = Math.min(remaining, clampTimer(m.timerRemaining));
  } else remaining = Number.isFinite(m.timerRemaining) ? clampTimer(m.timerRemaining) : duration;
  const label = typeof m.timerLabel === 'string' ? m.timerLabel : '';
  const active = running || duration > 0 || remaining > 0;
  let status = 'off';
  if (active) status = remaining <= 0 ? 'over' : running ? 'running' : 'paused';
  return {
    status,
    label,
    running,
    duration,
    remaining: active ? remaining : 0,
    soon: status === 'running' && remaining <= SOON_MS,
    over: status === 'over',
  };
}

// "05:00", "1:02:03"; over time: "+00:42". A running countdown shows the
// second it is in (59.2 s → 01:00), as kitchen timers do.
export function formatClock(ms) {
  const over = ms < 0;
  const total = over ? Math.floor(-ms / 1000) : Math.ceil(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n) => String(n).padStart(2, '0');
  const body = h ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
  return over && total > 0 ? `+${body}` : body;
}

// The facilitator's actions: each gives the meta props to write.
export function timerStartProps({ label = '', durationMs, now }) {
  const d = clampTimer(durationMs);
  return {
    timerLabel: String(label).slice(0, 80),
    timerDuration: d,
    timerRunning: true,
    timerEndsAt: whole(now) + d,
    timerRemaining: d,
  };
}

export function timerPauseProps(meta, now) {
  const st = timerState(meta, now);
  return { timerRunning: false, timerEndsAt: 0, timerRemaining: clampTimer(st.remaining) };
}

export function timerResumeProps(meta, now) {
  const st = timerState(meta, now);
  const left = clampTimer(st.remaining);
  return { timerRunning: true, timerEndsAt: whole(now) + left, timerRemaining: left };
}

// "+5 min": more time from where the timer is (from now when it is over).
export function timerExtendProps(meta, now, addMs = 5 * MINUTE) {
  const st = timerState(meta, now);
  const duration = clampTimer(st.duration + addMs);
  const left = clampTimer(Math.max(0, st.remaining) + addMs);
  if (st.running) return { timerDuration: duration, timerEndsAt: whole(now) + left, timerRemaining: left };
  return { timerDuration: duration, timerRemaining: left };
}

// Back to the full duration, paused.
export function timerResetProps(meta) {
  const d = clampTimer((meta || {}).timerDuration);
  return { timerRunning: false, timerEndsAt: 0, timerRemaining: d };
}

// No timer any more, on any device.
export function timerClearProps() {
  return { timerRunning: false, timerEndsAt: 0, timerRemaining: 0, timerDuration: 0 };
}

// ---- "everyone look here" ------------------------------------------------------------

export function focusProps(board, section, now) {
  return {
    focusBoard: String(board || ''),
    focusSection: FOCUS_SECTIONS.includes(section) ? section : '',
    focusAt: whole(now),
  };
}

// The focus a device should act on: only one asked after `since` (the
// later of when the page loaded and the last focus it acted on, both on
// the server's clock). release: the facilitator let everyone go back.
export function newFocus(meta, since) {
  const m = meta || {};
  const at = whole(m.focusAt);
  if (!at || !(at > since)) return null;
  const board = typeof m.focusBoard === 'string' ? m.focusBoard : '';
  const section = FOCUS_SECTIONS.includes(m.focusSection) ? m.focusSection : '';
  return { board, section, at, release: !board };
}

// The DOM id of what a focus points to in a fiche.
export function focusAnchor(section) {
  if (!section) return 'fiche-top';
  return `section-${section}`;
}

// ---- placing participants in groups ----------------------------------------------------

// The live assigns, by client (the last id wins if there were several).
export function assignments(elements) {
  const out = new Map();
  const ids = Object.keys(elements || {}).sort();
  for (const id of ids) {
    const e = elements[id];
    if (!e || e.elem !== 'assign' || !e.props || !e.props.client) continue;
    out.set(e.props.client, { id, client: e.props.client, group: e.props.group || '', name: e.props.name || '' });
  }
  return out;
}

export function assignmentFor(elements, client) {
  return assignments(elements).get(client) || null;
}

// The group a participant's page should move to: the group of its assign,
// when it differs from the assignment it already followed (so that a
// participant who then picks another group is not pulled back).
export function groupToFollow(elements, client, lastFollowed) {
  const a = assignmentFor(elements, client);
  if (!a || !a.group || a.group === lastFollowed) return null;
  return a.group;
}

// The changes that place `client` in `group` (a set of its assign if it has
// one, else a new assign with id newId).
export function placeChanges(elements, { client, group, name = '' }, newId) {
  const a = assignmentFor(elements, client);
  const nm = String(name || '').trim().slice(0, 80);
  if (a) {
    const props = { group };
    if (nm && nm !== a.name) props.name = nm;
    return [{ kind: 'set', id: a.id, props }];
  }
  const props = { client, group };
  if (nm) props.name = nm;
  return [{ kind: 'create', id: newId, elem: 'assign', props }];
}

// ---- comments ------------------------------------------------------------------------

// A comment id that sorts by time (the element model keeps no order):
// "cm" + the server time in base 36 (9 digits) + a random tail.
export function commentId(serverNow, random = Math.random) {
  const tail = Math.floor(random() * 36 ** 6).toString(36).padStart(6, '0');
  return `cm${Math.max(0, whole(serverNow)).toString(36).padStart(9, '0')}${tail}`;
}

// The live comments in the order they were written (ids made by commentId;
// others after them, by id).
export function commentList(elements) {
  const out = [];
  for (const [id, e] of Object.entries(elements || {})) {
    if (!e || e.elem !== 'comment' || !e.props) continue;
    out.push({
      id,
      by: e.by || '',
      text: String(e.props.text || ''),
      author: String(e.props.author || ''),
      kind: e.props.kind === 'piste' ? 'piste' : 'commentaire',
      section: COMMENT_SECTIONS.includes(e.props.section) ? e.props.section : '',
    });
  }
  const ours = (id) => /^cm[0-9a-z]{9}/.test(id);
  return out.sort((a, b) => (ours(a.id) === ours(b.id) ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : ours(a.id) ? -1 : 1));
}

export function commentCounts(elements) {
  const n = { commentaire: 0, piste: 0 };
  for (const c of commentList(elements)) n[c.kind] += 1;
  return n;
}

// Who may edit or delete a comment: its author's device, or the facilitator.
export function canChangeComment(comment, { client, role }) {
  if (!comment) return false;
  if (role === 'facilitator') return true;
  return role === 'participant' && !!comment.by && comment.by === client;
}

// The text as the server will take it, or an error key.
export function checkComment(text) {
  const s = String(text || '').trim();
  if (!s) return { error: 'comments.errEmpty' };
  if (s.length > COMMENT_MAX) return { error: 'comments.errLong' };
  return { text: s };
}

// ---- the control room's cards ----------------------------------------------------------

// "il y a 3 min": the key and count for how long ago something happened.
export function agoKey(ms) {
  if (!(ms >= 0) || ms < 45_000) return { key: 'control.agoNow', n: 0 };
  const min = Math.round(ms / MINUTE);
  if (min < 60) return { key: 'control.agoMin', n: Math.max(1, min) };
  return { key: 'control.agoHour', n: Math.round(ms / 3_600_000) };
}
