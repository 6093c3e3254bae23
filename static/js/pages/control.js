// "/f/CODE#k=KEY": the facilitator's control room. Every group's board live
// as a card (filled sections, who is there, last activity, done, comments),
// and the facilitator's actions: the phase timer, lock, "everyone look
// here", the projector, writing for a group, placing participants,
// preparing the workshop, exports, closing and deleting it.
// "/f/CODE#k=KEY&g=GROUP": the facilitator writes in that group's fiche.
//
// Facilitator-only actions are checked by the server; they are shown only
// here, with the key.

import { h } from '../dom.js';
import { t, onLangChange } from '../i18n.js';
import { Sync, tabClientId } from '../sync.js';
import {
  deletedPage, forgetWorkshop, loadWorkshop, keyFor, messagePage, notify, rememberWorkshop, setTitle, statusIndicator,
  notifySyncError, workshopAfterDelete,
} from '../ui.js';
import { fragmentParams } from '../util.js';
import { createCard } from '../wallcard.js';
import { textsToggle, wallHeader } from '../wallhead.js';
import { createCardTools } from '../room/cardtools.js';
import { createTimerPanel } from '../room/timerpanel.js';
import { createRoomPanel } from '../room/roompanel.js';
import { createPlacement } from '../room/placement.js';
import { createPrepare } from '../room/prepare.js';
import { createClosing } from '../room/closing.js';
import { facilitatorFiche } from './participant.js';

// "1–2 déc. 2026", "1 déc. 2026", or nothing.
function datesText(dates, lang) {
  const fmt = (s) => {
    const d = new Date(`${s}T12:00:00`);
    return Number.isNaN(d.getTime()) ? s : new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'long', year: 'numeric' }).format(d);
  };
  if (!dates || !dates.start) return '';
  if (!dates.end || dates.end === dates.start) return fmt(dates.start);
  return t('control.datesRange', { start: fmt(dates.start), end: fmt(dates.end) });
}

export async function controlRoom(root, code, key) {
  const ws = await loadWorkshop(root, code);
  if (!ws) return () => {};
  rememberWorkshop({ code, key, title: ws.title });
  document.body.classList.add('is-wall', 'is-control');

  const offs = [];
  let sync = null;
  let control = null;
  let disposed = false;
  let keyWarned = false;
  const cards = [];
  const cardList = () => cards;

  // ---- layout ----------------------------------------------------------------
  const status = statusIndicator();
  const grid = h('div', { class: 'wall-grid', role: 'list', 'aria-labelledby': 'boards-title' });
  const header = wallHeader(ws, code, { eyebrowKey: 'control.eyebrow', tools: [textsToggle(grid), status.el] });
  const dates = h('p', { class: 'wall-dates' });
  header.el.querySelector('.wall-title h1').after(dates);
  const closedBanner = h('div', { class: 'notice notice-closed control-closed', role: 'status', hidden: true },
    h('p', { i18n: 'control.closedBanner' }));
  const nav = h('nav', { class: 'control-nav', 'aria-label': t('control.navLabel') },
    [['#panel-timer', 'control.timerTitle'], ['#panel-room', 'control.roomTitle'], ['#boards-title', 'control.boardsTitle'],
      ['#panel-people', 'control.placementTitle'], ['#panel-prepare', 'control.prepareTitle'], ['#panel-after', 'control.afterTitle']]
      .map(([href, k]) => h('a', { href, i18n: k })));
  // In-page links that keep the key in the address (#k=…) as it is.
  nav.addEventListener('click', (e) => {
    const a = e.target.closest('a[href^="#"]');
    const target = a && document.querySelector(a.getAttribute('href'));
    if (!target) return;
    e.preventDefault();
    target.scrollIntoView({ block: 'start' });
    if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
    target.focus({ preventScroll: true });
  });
  const bar = h('div', { class: 'control-bar' });
  const lower = h('div', { class: 'control-lower' });
  root.replaceChildren(h('div', { class: 'wall-page control-room' },
    header.el, nav, closedBanner, bar,
    h('h2', { id: 'boards-title', class: 'boards-title', i18n: 'control.boardsTitle' }),
    grid, lower));

  const retitle = () => {
    setTitle(t('control.eyebrow'), ws.title);
    header.setTitle(ws.title);
    dates.textContent = datesText(ws.dates, document.documentElement.lang || 'fr');
    dates.hidden = !dates.textContent;
  };
  retitle();
  const setClosed = (closed) => {
    ws.closed = closed;
    closedBanner.hidden = !closed;
    root.querySelector('.control-room').classList.toggle('is-closed', closed);
  };
  setClosed(!!ws.closed);

  // ---- the boards ----------------------------------------------------------------
  const setStatus = () => {
    if (!sync) return;
    const boards = cards.map((c) => c.board).filter(Boolean);
    if (!sync.everOpened) status.set('connecting');
    else if (!sync.isOpen() || boards.some((b) => !b.ready)) status.set('offline');
    else if (boards.some((b) => b.status() === 'sending') || (control && control.status() === 'sending')) status.set('sending');
    else status.set('saved');
  };

  function addCard(group) {
    const tools = createCardTools(group, { sync, control, code, key });
    const card = createCard(group, { workshop: ws.title, facilitator: true, tools });
    const board = sync.follow(group.board, { key, persist: false });
    card.attach(board);
    offs.push(
      board.on('welcome', setStatus),
      board.on('status', setStatus),
      board.on('error', (e) => {
        if (!keyWarned && !board.ready && (e.code === 'forbidden' || e.code === 'not_found')) {
          keyWarned = true;
          notify(t('wall.errKey'), { kind: 'error' });
        }
      }),
      board.on('reject', (r) => { if (!r.retrying) notify(t('board.rejected', { message: r.message || r.code }), { kind: 'error' }); }),
    );
    // A group that has started cannot be removed any more: say so at once.
    let started = false;
    const checkStarted = () => setTimeout(() => {
      if (started || disposed || !(board.v > 0)) return;
      started = true;
      if (prepare) prepare.refreshStarted(ws.groups);
    }, 0);
    for (const ev of ['welcome', 'remote', 'elements', 'meta']) offs.push(board.on(ev, checkStarted));
    cards.push(card);
    return card;
  }

  // The workshop's groups changed (prepared): follow the new boards, let
  // the removed ones go, keep the order.
  function groupsChanged(next) {
    Object.assign(ws, next);
    for (const card of [...cards]) {
      if (!next.groups.some((g) => g.id === card.group.id)) {
        sync.unfollow(card.group.board);
        card.destroy();
        cards.splice(cards.indexOf(card), 1);
      }
    }
    for (const g of next.groups) {
      const card = cards.find((c) => c.group.id === g.id);
      if (card) card.setGroup(g);
      else addCard(g);
    }
    cards.sort((a, b) => next.groups.findIndex((g) => g.id === a.group.id) - next.groups.findIndex((g) => g.id === b.group.id));
    for (const card of cards) grid.append(card.el);
    rememberWorkshop({ code, key, title: ws.title });
    retitle();
    roomPanel.groupsChanged();
    for (const card of cards) placement.watch(card);
  }

  let roomPanel = null;
  let placement = null;
  let prepare = null;
  let closing = null;
  let timerPanel = null;

  function gone() {
    if (disposed) return;
    forgetWorkshop(code);
    dispose();
    deletedPage(root);
  }

  // ---- sync ----------------------------------------------------------------------
  (async () => {
    const client = await tabClientId();
    if (disposed) return;
    sync = new Sync({ client, name: t('wall.nameFacilitator') });
    if (ws.control) {
      control = sync.follow(ws.control, { key, persist: false });
      // Participants see who asked them to look (the presence's name).
      control.setPresence({ focus: null });
    }
    for (const g of ws.groups) addCard(g);
    for (const card of cards) grid.append(card.el);
    timerPanel = createTimerPanel(sync, control);
    roomPanel = createRoomPanel({ sync, control, code, cards: cardList });
    bar.append(timerPanel.el, roomPanel.el);
    placement = createPlacement({ control, cards: cardList });
    prepare = createPrepare({ ws, code, key, started: (g) => { const c = cards.find((x) => x.group.id === g.id); return !!(c && c.board && c.board.v > 0); }, onSaved: groupsChanged });
    closing = createClosing({ ws, code, key, onClosed: setClosed, onDeleted: gone });
    lower.append(placement.el, prepare.el, closing.el);
    if (control) {
      const redrawTools = () => { for (const c of cards) c.schedule(); };
      offs.push(control.on('meta', redrawTools), control.on('welcome', redrawTools), control.on('status', setStatus));
    }
    offs.push(
      sync.on('connection', setStatus),
      sync.on('error', notifySyncError),
      sync.on('deleted', async () => {
        const fresh = await workshopAfterDelete(code);
        if (disposed) return;
        if (!fresh) { gone(); return; }
        // Only a group went (removed while preparing): drop its card, go on.
        groupsChanged(fresh);
        sync.resume();
      }),
    );
    sync.start();
    setStatus();
  })();

  // The cards say "3 min ago": let it move.
  const ticker = setInterval(() => { for (const c of cards) c.schedule(); }, 30_000);
  const offLang = onLangChange(() => {
    retitle();
    nav.setAttribute('aria-label', t('control.navLabel'));
    for (const c of cards) c.render();
  });

  function dispose() {
    if (disposed) return;
    disposed = true;
    clearInterval(ticker);
    offLang();
    for (const off of offs) off();
    for (const c of cards) c.destroy();
    for (const p of [timerPanel, roomPanel, placement, prepare, closing]) if (p) p.destroy();
    if (sync) sync.stop();
    document.body.classList.remove('is-wall', 'is-control');
  }
  return dispose;
}

// "/f/CODE#k=KEY": the control room; "&g=GROUP": write in that group's fiche.
export function facilitatorPage(root, code) {
  const params = fragmentParams(location.hash);
  const key = params.get('k') || keyFor(code);
  if (!key) {
    messagePage(root, 'wall.noKeyTitle', 'wall.noKeyText', { code }, [
      h('a', { class: 'btn btn-primary', href: `/wall/${encodeURIComponent(code)}`, i18n: 'wall.openProjector' }),
      h('a', { class: 'btn btn-secondary', href: '/', i18n: 'common.backHome' }),
    ]);
    return () => {};
  }
  if (params.get('g')) return facilitatorFiche(root, code, key, params.get('g'));
  return controlRoom(root, code, key);
}
