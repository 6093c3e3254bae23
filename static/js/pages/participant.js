// "/j/CODE": a participant picks a name and a group, then co-writes the
// group's fiche-projet (fiche.js). The page also follows the workshop's
// control board:
//   - the phase timer, in the fiche's header;
//   - "everyone look here": a focus newer than the page scrolls to the
//     section asked, or shows another group's fiche read-only with a comment
//     box (the restitution, restitution.js);
//   - placements: an assign naming this device moves it to its group.
// "/f/CODE#k=KEY&g=GROUP": the facilitator writes in a group's fiche on its
// behalf (facilitatorFiche).

import { h, uid } from '../dom.js';
import { t, onLangChange } from '../i18n.js';
import { Sync, tabClientId } from '../sync.js';
import {
  deletedPage, facilitatorURL, getWorkshop, loadWorkshop, local, messagePage, notify, setTitle, workshopAfterDelete,
} from '../ui.js';
import { safeStorage } from '../util.js';
import { groupToFollow, newFocus } from '../control.js';
import { createFiche } from '../fiche.js';
import { createTimer } from '../timer.js';
import { createRestitution } from './restitution.js';

const NAME_KEY = 'tablee:name';
const groupKey = (code) => `tablee:group:${code}`;
const assignedKey = (code) => `tablee:assigned:${code}`;
const session = safeStorage(() => globalThis.sessionStorage);

// When this page was loaded (this device's clock): only a focus asked after
// it moves the page. And the last focus acted on (server clock).
const PAGE_LOADED = Date.now();
let focusHandled = 0;

export async function participant(root, code) {
  const ws = await loadWorkshop(root, code);
  if (!ws) return () => {};

  let cleanup = () => {};
  const show = (fn) => { cleanup(); cleanup = fn() || (() => {}); };

  const chooseIdentity = () => show(() => identityForm(root, ws, code, (name, group) => {
    local.set(NAME_KEY, name);
    local.set(groupKey(code), group.id);
    show(() => room(root, ws, code, name, group, chooseIdentity));
  }));

  const name = (local.get(NAME_KEY) || '').trim();
  const group = ws.groups.find((g) => g.id === local.get(groupKey(code)));
  if (name && group) show(() => room(root, ws, code, name, group, chooseIdentity));
  else chooseIdentity();
  return () => cleanup();
}

// ---- Step 1: who are you, which group -----------------------------------------

function identityForm(root, ws, code, done) {
  const nameId = uid('name');
  const nameInput = h('input', {
    id: nameId, type: 'text', required: true, maxlength: 60, autocomplete: 'given-name',
    value: local.get(NAME_KEY) || '', i18nPlaceholder: 'join.namePlaceholder',
  });
  const current = local.get(groupKey(code));
  const groups = h('div', { class: 'group-choices', role: 'radiogroup', 'aria-labelledby': 'group-legend' },
    ws.groups.map((g, i) => {
      const id = uid('group');
      return h('div', { class: 'choice' },
        h('input', { type: 'radio', name: 'group', id, value: g.id, checked: current ? current === g.id : (ws.groups.length === 1 && i === 0) }),
        h('label', { for: id, class: 'choice-label', text: g.name }));
    }));
  const error = h('p', { class: 'form-error', role: 'alert' });
  const form = h('form', { class: 'stack', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: nameId, i18n: 'join.nameLabel' }), nameInput),
    h('fieldset', { class: 'field' }, h('legend', { id: 'group-legend', i18n: 'join.groupLegend' }), groups),
    error,
    h('button', { type: 'submit', class: 'btn btn-primary btn-block', i18n: 'join.enter' }));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const name = nameInput.value.trim();
    const checked = form.querySelector('input[name=group]:checked');
    if (!name) { error.textContent = t('join.errName'); nameInput.focus(); return; }
    if (!checked) { error.textContent = t('join.errGroup'); return; }
    done(name, ws.groups.find((g) => g.id === checked.value));
  });
  root.replaceChildren(h('section', { class: 'panel identity' },
    h('p', { class: 'eyebrow', i18n: 'join.eyebrow' }),
    h('h1', { class: 'workshop-title', text: ws.title }),
    h('p', { class: 'hint', i18n: 'join.welcome' }),
    form));
  const retitle = () => setTitle(ws.title);
  retitle();
  if (!nameInput.value) nameInput.focus();
  return onLangChange(retitle);
}

// ---- Step 2: the room: the group's fiche, or another's during a restitution ------

function room(root, ws, code, name, startGroup, changeIdentity) {
  let sync = null;
  let control = null;
  let timer = null;
  let view = null; // { kind: 'fiche' | 'restitution', board, destroy, show }
  let group = startGroup;
  let disposed = false;
  const offs = [];

  // A restitution is going on that this page did not follow (it was loaded
  // after): offer to join it.
  const ongoing = h('div', { class: 'notice notice-focus ongoing', hidden: true });
  const body = h('div', { class: 'room-body' });
  root.replaceChildren(h('div', { class: 'room' }, ongoing, body));

  const groupOfBoard = (boardId) => ws.groups.find((g) => g.board === boardId) || null;

  // Who asked everyone to look: the facilitator's name from its presence on
  // the control board, if it is known.
  function asker() {
    const by = control && control.metaBy.focusAt;
    const p = by && control.presence.get(by);
    return p && p.name ? p.name : t('focus.facilitator');
  }

  function closeView() {
    if (!view) return;
    view.destroy();
    if (view.kind === 'restitution') sync.unfollow(view.board.id);
    view = null;
  }

  // The group's board stays followed during a restitution (its edits go on).
  let own = null;

  function showFiche() {
    if (view && view.kind === 'fiche' && view.groupId === group.id) return view;
    closeView();
    if (own && own.id !== group.board) { sync.unfollow(own.id); own = null; }
    if (!own) own = sync.follow(group.board, { key: code });
    const board = own;
    const fiche = createFiche(body, {
      sync, board, ws, code, group, name, headerExtras: [timer.el], onChangeIdentity: changeIdentity,
    });
    view = { kind: 'fiche', groupId: group.id, board, destroy: fiche.destroy, show: fiche.show };
    renderOngoing();
    return view;
  }

  function showRestitution(boardId, section, who) {
    const other = groupOfBoard(boardId);
    if (!other) return;
    if (!(view && view.kind === 'restitution' && view.board.id === boardId)) {
      closeView();
      const board = sync.follow(boardId, { key: code, persist: false });
      const r = createRestitution(body, {
        sync, board, ws, group: other, name, who, headerExtras: [timer.el],
        onBack: () => { showFiche(); window.scrollTo(0, 0); },
      });
      view = { kind: 'restitution', board, destroy: r.destroy, show: r.show, setWho: r.setWho };
    } else {
      view.setWho(who);
    }
    renderOngoing();
    requestAnimationFrame(() => view && view.show(section));
  }

  function checkFocus() {
    if (!control || !control.hasState || !sync.clock.known) return;
    const f = newFocus(control.meta, Math.max(sync.clock.now(PAGE_LOADED), focusHandled));
    if (!f) { renderOngoing(); return; }
    focusHandled = f.at;
    if (f.release) {
      if (view && view.kind === 'restitution') {
        showFiche();
        notify(t('focus.released'));
      }
      renderOngoing();
      return;
    }
    if (f.board === group.board) {
      const v = showFiche();
      requestAnimationFrame(() => v.show(f.section));
      notify(t('focus.lookOwn', { who: asker() }));
    } else if (groupOfBoard(f.board)) {
      showRestitution(f.board, f.section, asker());
    }
  }

  function renderOngoing() {
    const m = control && control.hasState ? control.meta : {};
    const other = m.focusBoard && m.focusBoard !== group.board ? groupOfBoard(m.focusBoard) : null;
    const watching = view && view.kind === 'restitution' && view.board.id === m.focusBoard;
    ongoing.hidden = !other || watching;
    if (ongoing.hidden) { ongoing.replaceChildren(); return; }
    ongoing.replaceChildren(
      h('p', { text: t('focus.ongoing', { group: other.name }) }),
      h('button', { type: 'button', class: 'btn btn-small btn-primary', i18n: 'focus.join', on: { click: () => showRestitution(other.board, m.focusSection || '', asker()) } }));
  }

  async function checkAssign() {
    if (!control || !control.hasState) return;
    const g = groupToFollow(control.elements, sync.client, session.get(assignedKey(code)) || '');
    if (!g) return;
    session.set(assignedKey(code), g);
    let target = ws.groups.find((x) => x.id === g);
    if (!target) {
      // A group added since this page loaded.
      try { Object.assign(ws, await getWorkshop(code)); } catch { return; }
      target = ws.groups.find((x) => x.id === g);
      if (!target || disposed) return;
    }
    local.set(groupKey(code), target.id);
    if (target.id === group.id) return;
    group = target;
    if (!view || view.kind === 'fiche') showFiche();
    notify(t('assign.moved', { group: target.name }));
  }

  (async () => {
    const client = await tabClientId();
    if (disposed) return;
    sync = new Sync({ client, name });
    if (ws.control) control = sync.follow(ws.control, { key: code, persist: false });
    timer = createTimer(sync, control, { variant: 'bar' });
    showFiche();
    if (control) {
      offs.push(
        control.on('welcome', () => { checkAssign(); checkFocus(); }),
        control.on('meta', () => checkFocus()),
        control.on('reset', () => { checkAssign(); checkFocus(); }),
        control.on('elements', () => checkAssign()),
      );
    }
    offs.push(sync.on('deleted', async () => {
      const fresh = await workshopAfterDelete(code);
      if (disposed) return;
      if (!fresh) {
        disposed = true;
        closeView();
        deletedPage(root);
        return;
      }
      // Only a group went (the facilitator removed it before it started).
      Object.assign(ws, fresh);
      if (!ws.groups.some((g) => g.id === group.id)) {
        notify(t('board.groupRemoved'), { kind: 'error' });
        changeIdentity();
        return;
      }
      if (view && view.kind === 'restitution' && !groupOfBoard(view.board.id)) showFiche();
      for (const id of [...sync.boards.keys()]) {
        if (id !== ws.control && !groupOfBoard(id)) sync.unfollow(id);
      }
      sync.resume();
    }));
    sync.start();
  })();

  return () => {
    disposed = true;
    for (const off of offs) off();
    closeView();
    if (timer) timer.destroy();
    if (sync) sync.stop();
  };
}

// ---- The facilitator writes for a group -----------------------------------------

export async function facilitatorFiche(root, code, key, groupId) {
  const ws = await loadWorkshop(root, code);
  if (!ws) return () => {};
  const group = ws.groups.find((g) => g.id === groupId);
  if (!group) {
    messagePage(root, 'board.noGroupTitle', 'board.noGroupText', {}, [
      h('a', { class: 'btn btn-primary', href: facilitatorURL(code, key), i18n: 'board.backToRoom' })]);
    return () => {};
  }
  const client = await tabClientId();
  const sync = new Sync({ client, name: t('wall.nameFacilitator') });
  const board = sync.follow(group.board, { key });
  const back = h('a', { class: 'btn btn-small btn-secondary', href: facilitatorURL(code, key), i18n: 'board.backToRoom' });
  const fiche = createFiche(root, { sync, board, ws, code, group, name: t('wall.nameFacilitator'), facilitator: true, headerExtras: [back] });
  const off = sync.on('deleted', async () => {
    const fresh = await workshopAfterDelete(code);
    if (fresh && fresh.groups.some((g) => g.id === groupId)) { sync.resume(); return; }
    fiche.destroy();
    if (fresh) messagePage(root, 'board.noGroupTitle', 'board.noGroupText', {}, [h('a', { class: 'btn btn-primary', href: facilitatorURL(code, key), i18n: 'board.backToRoom' })]);
    else deletedPage(root);
  });
  sync.start();
  return () => { off(); fiche.destroy(); sync.stop(); };
}
