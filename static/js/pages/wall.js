// "/wall/CODE": the projector's screen, read-only (a viewer with the code).
//   overview     every group's board side by side (wallcard.js)
//   #b=BOARD     one board, large, for the restitution (projection.js)
// It follows the control board: the phase timer, and "everyone look here"
// (a focus asked after the page loaded shows that board, or the overview
// when the facilitator lets everyone go back).
// "/f/CODE#k=KEY" is the facilitator's control room (pages/control.js).

import { h } from '../dom.js';
import { t, onLangChange } from '../i18n.js';
import { Sync, tabClientId } from '../sync.js';
import {
  deletedPage, loadWorkshop, messagePage, notifySyncError, setTitle, statusIndicator, workshopAfterDelete,
} from '../ui.js';
import { fragmentParams } from '../util.js';
import { newFocus } from '../control.js';
import { createCard } from '../wallcard.js';
import { createTimer } from '../timer.js';
import { createProjection } from './projection.js';
import { textsToggle, wallHeader } from '../wallhead.js';

const PAGE_LOADED = Date.now();

export async function wall(root, code) {
  const ws = await loadWorkshop(root, code);
  if (!ws) return () => {};
  document.body.classList.add('is-wall');

  const offs = [];
  let sync = null;
  let control = null;
  let timer = null;
  let disposed = false;
  let projection = null;
  let focusHandled = 0;

  const status = statusIndicator();
  const grid = h('div', { class: 'wall-grid', role: 'list' });
  const timerSlot = h('span', { class: 'timer-slot' });
  const header = wallHeader(ws, code, { eyebrowKey: 'wall.eyebrowProjector', tools: [textsToggle(grid), timerSlot, status.el] });
  const overview = h('div', { class: 'wall-overview' }, header.el, grid);
  const single = h('div', { class: 'wall-single', hidden: true });
  root.replaceChildren(h('div', { class: 'wall-page' }, overview, single));

  const cards = ws.groups.map((group) => {
    const tools = projectTool(group);
    const card = createCard(group, { workshop: ws.title, tools });
    grid.append(card.el);
    return card;
  });
  // On the projector a card opens its board, large.
  function projectTool(group) {
    const btn = h('button', { type: 'button', class: 'btn btn-small btn-secondary card-project', i18n: 'wall.project' });
    btn.addEventListener('click', () => { location.hash = `b=${encodeURIComponent(group.board)}`; });
    return { el: h('div', { class: 'card-actions' }, btn), update() {} };
  }

  // ---- overview or one board, from the fragment ------------------------------

  function route() {
    if (disposed || !sync) return;
    const id = fragmentParams(location.hash).get('b');
    const index = cards.findIndex((c) => c.group.board === id);
    if (projection && (index < 0 || projection.board.id !== id)) {
      projection.destroy();
      projection = null;
    }
    if (index < 0) {
      single.hidden = true;
      overview.hidden = false;
      header.el.querySelector('.wall-tools').insertBefore(timer.el, status.el);
      retitle();
      return;
    }
    if (!projection) {
      projection = createProjection(single, {
        entries: cards.map((c) => ({ group: c.group, board: c.board })),
        index, ws, client: sync.client, headerExtras: [timer.el],
        onNavigate: (board) => { location.hash = board ? `b=${encodeURIComponent(board)}` : ''; },
      });
      overview.hidden = true;
      single.hidden = false;
      window.scrollTo(0, 0);
    }
  }

  function onKey(e) {
    if (!projection || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target.closest && e.target.closest('.map-frame, input, textarea, select')) return;
    const btn = (sel) => single.querySelector(sel);
    if (e.key === 'ArrowRight' || e.key === 'PageDown') { e.preventDefault(); btn('.projection-next')?.click(); }
    if (e.key === 'ArrowLeft' || e.key === 'PageUp') { e.preventDefault(); btn('.projection-prev')?.click(); }
    if (e.key === 'Escape') { e.preventDefault(); btn('.projection-overview')?.click(); }
  }

  // "Everyone look here": the projector goes there too.
  function checkFocus() {
    if (!control || !control.hasState || !sync.clock.known) return;
    const f = newFocus(control.meta, Math.max(sync.clock.now(PAGE_LOADED), focusHandled));
    if (!f) return;
    focusHandled = f.at;
    if (f.release) { location.hash = ''; return; }
    if (!cards.some((c) => c.group.board === f.board)) return;
    location.hash = `b=${encodeURIComponent(f.board)}`;
    route();
    requestAnimationFrame(() => { if (projection) projection.show(f.section); });
  }

  const retitle = () => setTitle(t('wall.pageTitleProjector'), ws.title);
  retitle();

  // ---- sync ------------------------------------------------------------------

  (async () => {
    const client = await tabClientId();
    if (disposed) return;
    sync = new Sync({ client, name: t('wall.nameProjector') });
    const setStatus = () => {
      const boards = cards.map((c) => c.board).filter(Boolean);
      if (!sync.everOpened) status.set('connecting');
      else if (!sync.isOpen() || boards.some((b) => !b.ready)) status.set('offline');
      else status.set('saved');
    };
    if (ws.control) control = sync.follow(ws.control, { key: code, as: 'viewer' });
    timer = createTimer(sync, control, { variant: 'corner' });
    timerSlot.replaceWith(timer.el);
    for (const card of cards) {
      const board = sync.follow(card.group.board, { key: code, as: 'viewer' });
      card.attach(board);
      offs.push(board.on('welcome', setStatus), board.on('status', setStatus));
    }
    if (control) offs.push(control.on('meta', checkFocus), control.on('welcome', checkFocus));
    offs.push(
      sync.on('connection', setStatus),
      sync.on('error', notifySyncError),
      sync.on('deleted', async () => {
        const fresh = await workshopAfterDelete(code);
        if (disposed) return;
        if (fresh) { location.reload(); return; } // a group was removed: start again with the new list
        dispose();
        deletedPage(root);
      }),
    );
    sync.start();
    setStatus();
    route();
  })();

  window.addEventListener('hashchange', route);
  document.addEventListener('keydown', onKey);
  const offLang = onLangChange(() => {
    retitle();
    for (const card of cards) card.render();
    if (projection) { const id = projection.board.id; projection.destroy(); projection = null; location.hash = `b=${encodeURIComponent(id)}`; route(); }
  });

  function dispose() {
    if (disposed) return;
    disposed = true;
    offLang();
    window.removeEventListener('hashchange', route);
    document.removeEventListener('keydown', onKey);
    for (const off of offs) off();
    if (projection) projection.destroy();
    for (const card of cards) card.destroy();
    if (timer) timer.destroy();
    if (sync) sync.stop();
    document.body.classList.remove('is-wall');
  }
  return dispose;
}
