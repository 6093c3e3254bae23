// Pure helpers for the client's outgoing changes and its replica of a board.
// No DOM, no network: unit-tested with node --test.
//
// A "batch" is what the client has not had committed yet, kept in a shape that
// composes: one text op per section, the merged meta props, and the element
// changes in order. A batch becomes the `changes` array of one submit.

import { apply, transform, compose, normalize } from './ot.js';

export const SECTIONS = [
  'etat_des_lieux',
  'enjeux',
  'niveau',
  'ecosysteme',
  'animation',
  'financement',
  'calendrier',
];

export const NIVEAUX = ['faire_ensemble', 'faire_avec', 'faire_corps'];

export function emptyBatch() {
  return { text: {}, meta: null, elems: [] };
}

export function isEmptyBatch(b) {
  return !b || (Object.keys(b.text).length === 0 && !b.meta && b.elems.length === 0);
}

export function cloneBatch(b) {
  return b ? JSON.parse(JSON.stringify(b)) : null;
}

// Returns the batch "a then b". Neither argument is modified.
export function composeBatch(a, b) {
  if (!a) return cloneBatch(b);
  if (!b) return cloneBatch(a);
  const out = cloneBatch(a);
  for (const [section, op] of Object.entries(b.text)) {
    out.text[section] = out.text[section] ? normalize(compose(out.text[section], op)) : op;
  }
  if (b.meta) out.meta = { ...(out.meta || {}), ...b.meta };
  for (const c of cloneBatch(b.elems)) {
    // A `set` right after a `set` of the same element (a drag streaming its
    // position while a submit is in flight) merges into one: applied in
    // order they give the same props.
    const last = out.elems[out.elems.length - 1];
    if (c.kind === 'set' && last && last.kind === 'set' && last.id === c.id) last.props = { ...last.props, ...c.props };
    else out.elems.push(c);
  }
  return out;
}

// The wire form of a batch: the `changes` of a submit.
export function batchToChanges(b) {
  const changes = [];
  for (const section of Object.keys(b.text)) {
    changes.push({ kind: 'text', section, op: b.text[section] });
  }
  if (b.meta) changes.push({ kind: 'meta', props: b.meta });
  for (const c of b.elems) changes.push(c);
  return changes;
}

// Transforms the text part of the batch `mine` against a remote text op on
// `section` (committed first: the server puts it on the left), and the remote
// op against `mine`. Mutates `mine`; returns the remote op made to apply after
// it. Meta and elements are last-writer-wins in version order and need no
// transform.
export function transformBatch(mine, section, remoteOp) {
  if (!mine || !mine.text[section]) return remoteOp;
  const own = mine.text[section];
  mine.text[section] = transform(own, remoteOp, 'right');
  return transform(remoteOp, own, 'left');
}

// ---- The replica of a board ------------------------------------------------

export function emptyState() {
  const sections = {};
  for (const s of SECTIONS) sections[s] = '';
  return { sections, meta: {}, elements: {}, deleted: [] };
}

export function stateFromSnapshot(snap) {
  const st = emptyState();
  for (const [key, sec] of Object.entries(snap.sections || {})) {
    st.sections[key] = (sec && typeof sec.text === 'string') ? sec.text : '';
  }
  st.meta = { ...(snap.meta || {}) };
  // The workshop's control board says "kind":"control"; a group's board
  // has no kind.
  if (snap.kind) st.kind = snap.kind;
  for (const [id, el] of Object.entries(snap.elements || {})) {
    st.elements[id] = { elem: el.elem, props: { ...(el.props || {}) } };
    if (el.by) st.elements[id].by = el.by;
  }
  return st;
}

export function cloneState(st) {
  return JSON.parse(JSON.stringify(st));
}

const ACTOR_DEFAULTS = { kind: 'autre', ring: 'proche' };
const LINK_DEFAULTS = { kind: 'autre' };
const COMMENT_DEFAULTS = { kind: 'commentaire' };

// Applies committed changes (or, for the local view, changes we expect to be
// committed) to a state, in place. Follows the rules of PROTOCOL.md so that
// every replica ends up identical. `by` is the client id of whoever made the
// changes: an element they create records it (a comment's author may change
// it later; see server/PROTOCOL.md).
export function applyChanges(st, changes, by = '') {
  for (const c of changes) {
    switch (c.kind) {
      case 'text':
        st.sections[c.section] = apply(st.sections[c.section] || '', c.op);
        break;
      case 'meta':
        Object.assign(st.meta, c.props || {});
        break;
      case 'create': {
        if (st.elements[c.id] || st.deleted.includes(c.id)) break;
        if (c.elem === 'link') {
          const p = c.props || {};
          const from = st.elements[p.from];
          const to = st.elements[p.to];
          if (!from || !to || from.elem !== 'actor' || to.elem !== 'actor') {
            st.deleted.push(c.id);
            break;
          }
          st.elements[c.id] = { elem: 'link', props: { ...LINK_DEFAULTS, ...p } };
        } else if (c.elem === 'actor') {
          st.elements[c.id] = { elem: 'actor', props: { ...ACTOR_DEFAULTS, ...(c.props || {}) } };
        } else if (c.elem === 'comment') {
          st.elements[c.id] = { elem: 'comment', props: { ...COMMENT_DEFAULTS, ...(c.props || {}) } };
        } else {
          st.elements[c.id] = { elem: c.elem, props: { ...(c.props || {}) } };
        }
        if (by && st.elements[c.id]) st.elements[c.id].by = by;
        break;
      }
      case 'set': {
        const el = st.elements[c.id];
        if (el) Object.assign(el.props, c.props || {});
        break;
      }
      case 'delete': {
        const el = st.elements[c.id];
        if (!el) break;
        if (el.elem === 'actor') {
          for (const [id, other] of Object.entries(st.elements)) {
            if (other.elem === 'link' && (other.props.from === c.id || other.props.to === c.id)) {
              delete st.elements[id];
              st.deleted.push(id);
            }
          }
        }
        delete st.elements[c.id];
        st.deleted.push(c.id);
        break;
      }
      default:
        // An unknown kind from a newer server: nothing to show for it.
        break;
    }
  }
  return st;
}

export function applyBatch(st, b, by = '') {
  if (b) applyChanges(st, batchToChanges(b), by);
  return st;
}

// Drops from `pending` what cannot stand without a refused `inflight`: the text
// of the sections the refused batch touched (pending's ops there were made on
// top of it), and the element changes that name an element the refused batch
// created (sent alone they would be refused too: no such element). Returns
// { kept, droppedSections }.
export function salvageAfterReject(inflightBatch, pending) {
  if (!pending) return { kept: null, droppedSections: Object.keys(inflightBatch.text) };
  const kept = cloneBatch(pending);
  const dropped = new Set(Object.keys(inflightBatch.text));
  for (const s of dropped) delete kept.text[s];
  const born = new Set(inflightBatch.elems.filter((c) => c.kind === 'create').map((c) => c.id));
  if (born.size) {
    kept.elems = kept.elems.filter((c) => !born.has(c.id)
      && !(c.kind === 'create' && c.props && (born.has(c.props.from) || born.has(c.props.to))));
  }
  return { kept: isEmptyBatch(kept) ? null : kept, droppedSections: [...dropped] };
}
