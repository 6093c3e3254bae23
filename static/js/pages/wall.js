// "/f/CODE#k=KEY" (facilitator) and "/wall/CODE" (projector): every group's
// board, live and read-only, readable from the back of the room.

import { h } from '../dom.js';
import { t, tn, onLangChange } from '../i18n.js';
import { Sync, tabClientId } from '../sync.js';
import { SECTIONS, NIVEAUX } from '../batch.js';
import {
  bigCode, getWorkshop, joinURL, keyFor, local, messagePage, notify, qrURL, rememberWorkshop, setTitle, statusIndicator,
} from '../ui.js';
import { charCount } from '../util.js';
import { createMap, openMapDialog } from '../map.js';

const MODE_KEY = 'tablee:wall-mode';

export async function wall(root, code, { facilitatorKey = null } = {}) {
  const facilitator = !!facilitatorKey;
  root.replaceChildren(h('p', { class: 'loading', i18n: 'common.loading' }));
  let ws;
  try {
    ws = await getWorkshop(code);
  } catch (err) {
    if (err.status === 404) messagePage(root, 'join.notFoundTitle', 'join.notFoundText', { code });
    else messagePage(root, 'common.errTitle', err.code === 'network' ? 'common.errNetwork' : 'common.errServer', { message: err.message });
    return () => {};
  }
  if (facilitator) rememberWorkshop({ code, key: facilitatorKey, title: ws.title });
  document.body.classList.add('is-wall');

  const offs = [];
  let sync = null;
  let keyWarned = false;
  let disposed = false;

  // ---- header: what the room needs to join ----------------------------------

  const status = statusIndicator();
  let full = local.get(MODE_KEY) === 'full';
  // A toggle: fixed label, state in aria-pressed.
  const modeBtn = h('button', { type: 'button', class: 'btn btn-secondary btn-toggle', 'aria-pressed': String(full) },
    h('span', { class: 'toggle-box', 'aria-hidden': 'true' }), h('span', { i18n: 'wall.showTexts' }));
  const renderMode = () => {
    modeBtn.setAttribute('aria-pressed', String(full));
    grid.classList.toggle('show-texts', full);
  };
  modeBtn.addEventListener('click', () => {
    full = !full;
    local.set(MODE_KEY, full ? 'full' : 'overview');
    renderMode();
  });
  const joinLink = joinURL(code);
  const header = h('header', { class: 'wall-head' },
    h('div', { class: 'wall-title' },
      h('p', { class: 'eyebrow', i18n: facilitator ? 'wall.eyebrowFacilitator' : 'wall.eyebrowProjector' }),
      h('h1', { text: ws.title }),
      h('div', { class: 'wall-tools' }, modeBtn, status.el)),
    h('div', { class: 'wall-join' },
      h('div', { class: 'wall-join-text' },
        h('p', { class: 'label', i18n: 'wall.joinAt' }),
        h('p', { class: 'wall-url' }, h('a', { href: joinLink, text: joinLink.replace(/^https?:\/\//, '') })),
        h('p', { class: 'label', i18n: 'wall.codeLabel' }),
        bigCode(code)),
      h('img', { class: 'qr', src: qrURL(code), width: 200, height: 200, i18nAlt: 'common.qrAlt' })));

  const grid = h('div', { class: 'wall-grid', role: 'list' });
  root.replaceChildren(h('div', { class: 'wall-page' }, header, grid));
  renderMode();
  const retitle = () => setTitle(t(facilitator ? 'wall.pageTitleFacilitator' : 'wall.pageTitleProjector'), ws.title);
  retitle();

  // ---- one card per group ---------------------------------------------------

  const cards = new Map(); // board id -> { el, render }
  for (const group of ws.groups) {
    const el = h('article', { class: 'card', role: 'listitem', 'aria-busy': 'true' });
    grid.append(el);
    cards.set(group.board, { el, group, board: null, scheduled: false });
  }

  function schedule(entry) {
    if (entry.scheduled) return;
    entry.scheduled = true;
    requestAnimationFrame(() => { entry.scheduled = false; if (!disposed) renderCard(entry); });
  }

  function renderCard(entry) {
    const { el, group, board } = entry;
    if (!board || !board.hasState) {
      el.replaceChildren(h('h2', { class: 'card-group', text: group.name }),
        h('p', { class: 'loading', i18n: board && board.error ? 'wall.cardError' : 'common.loading' }));
      return;
    }
    el.removeAttribute('aria-busy');
    const m = board.meta;
    const people = board.people();
    const filled = SECTIONS.filter((s) => board.text(s).trim()).length;
    el.classList.toggle('is-done', !!m.done);
    el.classList.toggle('is-locked', !!m.locked);

    const badges = h('p', { class: 'card-badges' },
      m.done ? h('span', { class: 'badge badge-done', i18n: 'wall.done' }) : null,
      m.locked ? h('span', { class: 'badge badge-locked', i18n: 'wall.locked' }) : null,
      h('span', { class: 'badge badge-people', text: tn('wall.people', people.length) }),
      h('span', { class: 'badge badge-progress', text: t('wall.progress', { n: filled, total: SECTIONS.length }) }));

    const title = typeof m.title === 'string' && m.title.trim() ? m.title : null;
    const niveau = NIVEAUX.includes(m.niveau) ? m.niveau : null;

    let lockBtn = null;
    if (facilitator && board.canWrite) {
      lockBtn = h('button', {
        type: 'button', class: 'btn btn-small btn-secondary card-lock', 'aria-pressed': String(!!m.locked),
        i18n: m.locked ? 'wall.unlock' : 'wall.lock',
      });
      lockBtn.addEventListener('click', () => board.setMeta({ locked: !board.meta.locked }));
    }

    // The group's map, small; a click shows it full screen.
    let mapBlock = null;
    if (entry.thumb) {
      const data = Object.values(board.elements);
      const nActors = data.filter((e) => e.elem === 'actor').length;
      const nLinks = data.filter((e) => e.elem === 'link').length;
      entry.thumbBtn.setAttribute('aria-label', t('map.openLarge', { group: group.name }));
      mapBlock = h('div', { class: 'card-map' },
        h('p', { class: 'card-map-head' },
          h('span', { class: 'card-map-title', i18n: 'map.title' }),
          h('span', { class: 'card-map-count', text: `${tn('map.nActors', nActors)} · ${tn('map.nLinks', nLinks)}` })),
        nActors ? entry.thumbBtn : h('p', { class: 'card-map-empty is-empty', i18n: 'map.wallEmpty' }));
    }

    const thumbFocused = entry.thumbBtn && document.activeElement === entry.thumbBtn;
    el.replaceChildren(
      h('header', { class: 'card-head' },
        h('h2', { class: 'card-group', text: group.name }),
        lockBtn),
      badges,
      h('p', { class: ['card-title', !title && 'is-empty'], text: title || t('wall.noTitle') }),
      h('p', { class: ['card-niveau', !niveau && 'is-empty'] },
        h('span', { class: 'card-niveau-label', i18n: 'wall.niveau' }), ' ',
        niveau
          ? h('strong', { text: `${t(`niveau.${niveau}.label`)} — ${t(`niveau.${niveau}.kind`)}` })
          : h('span', { i18n: 'wall.noNiveau' })),
      mapBlock,
      h('ol', { class: 'card-sections' }, SECTIONS.map((s) => {
        const text = board.text(s);
        const n = charCount(text.trim());
        const writers = people.filter((p) => p.focus === s);
        return h('li', { class: ['card-section', n ? 'is-filled' : 'is-empty'] },
          h('p', { class: 'card-section-head' },
            h('span', { class: 'mark', 'aria-hidden': 'true', text: n ? '●' : '○' }),
            h('span', { class: 'visually-hidden', i18n: n ? 'wall.filled' : 'wall.empty' }),
            h('span', { class: 'card-section-title', i18n: `section.${s}.title` }),
            writers.length ? h('span', { class: 'card-writing', 'aria-hidden': 'true', text: '✎' }) : null,
            h('span', { class: 'count', text: tn('wall.chars', n) })),
          n ? h('p', { class: 'card-section-text', dataset: { sectionText: s }, text }) : null);
      })));
    // The map's button is the same node from one render to the next: keep
    // the keyboard on it.
    if (thumbFocused && entry.thumbBtn.isConnected) entry.thumbBtn.focus({ preventScroll: true });
  }

  // ---- sync -------------------------------------------------------------------

  (async () => {
    const client = await tabClientId();
    if (disposed) return;
    sync = new Sync({ client, name: t(facilitator ? 'wall.nameFacilitator' : 'wall.nameProjector') });
    const setStatus = () => {
      const boards = [...cards.values()].map((c) => c.board).filter(Boolean);
      if (!sync.everOpened) status.set('connecting');
      else if (!sync.isOpen() || boards.some((b) => !b.ready)) status.set('offline');
      else if (boards.some((b) => b.status() === 'sending')) status.set('sending');
      else status.set('saved');
    };
    for (const entry of cards.values()) {
      const board = sync.follow(entry.group.board, facilitator ? { key: facilitatorKey, persist: false } : { key: code, as: 'viewer' });
      entry.board = board;
      entry.thumb = createMap(board, { mode: 'thumb', group: entry.group.name, workshop: ws.title });
      entry.thumbBtn = h('button', { type: 'button', class: 'map-thumb-btn' }, entry.thumb.el);
      entry.thumbBtn.addEventListener('click', () => openMapDialog(board, { group: entry.group.name, workshop: ws.title }));
      const redraw = () => schedule(entry);
      offs.push(
        board.on('remote', redraw),
        board.on('elements', redraw),
        board.on('reset', redraw),
        board.on('meta', redraw),
        board.on('presence', redraw),
        board.on('welcome', () => { redraw(); setStatus(); }),
        board.on('status', setStatus),
        board.on('error', (e) => {
          redraw();
          if (facilitator && !keyWarned && !board.ready && (e.code === 'forbidden' || e.code === 'not_found')) {
            keyWarned = true;
            notify(t('wall.errKey'), { kind: 'error' });
          }
        }),
        board.on('reject', (r) => { if (!r.retrying) notify(t('board.rejected', { message: r.message || r.code }), { kind: 'error' }); }),
      );
      renderCard(entry);
    }
    offs.push(
      sync.on('connection', setStatus),
      sync.on('error', (e) => {
        if (e.code === 'policy') notify(t('common.errPolicy'), { kind: 'error' });
        if (e.code === 'refused') notify(t('common.errRefused'), { kind: 'error' });
      }),
    );
    sync.start();
    setStatus();
  })();

  const offLang = onLangChange(() => {
    retitle();
    renderMode();
    for (const entry of cards.values()) renderCard(entry);
  });

  return () => {
    disposed = true;
    offLang();
    for (const off of offs) off();
    for (const entry of cards.values()) if (entry.thumb) entry.thumb.destroy();
    if (sync) sync.stop();
    document.body.classList.remove('is-wall');
  };
}

export function facilitatorPage(root, code) {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const key = params.get('k') || keyFor(code);
  if (!key) {
    messagePage(root, 'wall.noKeyTitle', 'wall.noKeyText', { code }, [
      h('a', { class: 'btn btn-primary', href: `/wall/${encodeURIComponent(code)}`, i18n: 'wall.openProjector' }),
      h('a', { class: 'btn btn-secondary', href: '/', i18n: 'common.backHome' }),
    ]);
    return () => {};
  }
  return wall(root, code, { facilitatorKey: key });
}
