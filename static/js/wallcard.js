// One group's board as a card, live: on the projector's wall and in the
// facilitator's control room. Per section, filled or empty and how much;
// the project's name and level; the map, small (a click shows it full
// screen); done and locked. For the facilitator also who is connected, the
// last activity, the comments, a lock button and the actions the control
// room gives (tools).
//
// The card's parts are built once and updated in place: a button is never
// replaced under a pointer or the keyboard.

import { h } from './dom.js';
import { t, tn } from './i18n.js';
import { SECTIONS, NIVEAUX } from './batch.js';
import { charCount } from './util.js';
import { agoKey, commentCounts } from './control.js';
import { createMap, openMapDialog } from './map.js';
import { createComments } from './comments.js';

// "2 pistes · 1 commentaire", only what there is.
function countsText(counts) {
  return [counts.piste ? tn('comments.nPistes', counts.piste) : '', counts.commentaire ? tn('comments.nComments', counts.commentaire) : '']
    .filter(Boolean).join(' · ');
}

export function createCard(group, { workshop = '', facilitator = false, tools = null } = {}) {
  const groupName = h('h2', { class: 'card-group', text: group.name });
  const lockBtn = facilitator ? h('button', { type: 'button', class: 'btn btn-small btn-secondary card-lock', 'aria-pressed': 'false', i18n: 'wall.lock' }) : null;
  const loading = h('p', { class: 'loading', i18n: 'common.loading' });
  const badges = h('p', { class: 'card-badges', hidden: true });
  const people = facilitator ? h('p', { class: 'card-people', hidden: true }) : null;
  const title = h('p', { class: 'card-title', hidden: true });
  const niveau = h('p', { class: 'card-niveau', hidden: true });
  const mapCount = h('span', { class: 'card-map-count' });
  const mapEmpty = h('p', { class: 'card-map-empty is-empty', i18n: 'map.wallEmpty' });
  const thumbBtn = h('button', { type: 'button', class: 'map-thumb-btn' });
  const mapBlock = h('div', { class: 'card-map', hidden: true },
    h('p', { class: 'card-map-head' }, h('span', { class: 'card-map-title', i18n: 'map.title' }), mapCount),
    thumbBtn, mapEmpty);
  const sections = h('ol', { class: 'card-sections', hidden: true });
  // The facilitator reads the room's comments live (and may remove one).
  const commentsSummary = h('summary', { class: 'card-comments-summary' });
  const commentsBox = facilitator ? h('details', { class: 'card-comments', hidden: true }, commentsSummary) : null;
  const toolBox = tools ? tools : null;

  const el = h('article', { class: 'card', role: 'listitem', 'aria-busy': 'true', dataset: { group: group.id } },
    h('header', { class: 'card-head' }, groupName, lockBtn),
    loading, badges, people, title, niveau, mapBlock, sections, commentsBox, toolBox && toolBox.el);

  const entry = {
    el,
    group,
    board: null,
    thumb: null,
    lastActivity: 0, // this device's clock, when a change last came
    scheduled: false,
    destroyed: false,
    offs: [],
  };

  entry.setGroup = (g) => {
    entry.group = g;
    groupName.textContent = g.name;
    schedule();
  };

  function schedule() {
    if (entry.scheduled || entry.destroyed) return;
    entry.scheduled = true;
    requestAnimationFrame(() => { entry.scheduled = false; if (!entry.destroyed) render(); });
  }
  entry.schedule = schedule;

  entry.attach = (board) => {
    entry.board = board;
    entry.thumb = createMap(board, { mode: 'thumb', group: group.name, workshop });
    thumbBtn.append(entry.thumb.el);
    thumbBtn.addEventListener('click', () => openMapDialog(board, { group: entry.group.name, workshop }));
    if (lockBtn) lockBtn.addEventListener('click', () => board.setMeta({ locked: !board.meta.locked }));
    if (commentsBox) {
      entry.comments = createComments(board, { client: board.sync.client, compose: false, anchor: false, heading: false });
      commentsBox.append(entry.comments.el);
    }
    const changed = () => { if (board.ready) entry.lastActivity = Date.now(); schedule(); };
    entry.offs.push(
      board.on('remote', changed),
      board.on('elements', changed),
      board.on('meta', changed),
      board.on('reset', schedule),
      board.on('presence', schedule),
      board.on('welcome', schedule),
      board.on('error', schedule),
    );
    render();
  };

  function render() {
    const board = entry.board;
    const ready = board && board.hasState;
    loading.hidden = !!ready;
    for (const part of [badges, title, niveau, mapBlock, sections]) part.hidden = !ready;
    if (people) people.hidden = !ready;
    if (!ready) {
      loading.textContent = t(board && board.error ? 'wall.cardError' : 'common.loading');
      if (toolBox) toolBox.update(entry);
      return;
    }
    el.removeAttribute('aria-busy');
    const m = board.meta;
    const here = board.people().filter((p) => p.role !== 'viewer' && p.role !== 'facilitator');
    const filled = SECTIONS.filter((s) => board.text(s).trim()).length;
    el.classList.toggle('is-done', !!m.done);
    el.classList.toggle('is-locked', !!m.locked);
    el.classList.toggle('is-closed', !!m.closed);

    const counts = commentCounts(board.elements);
    if (commentsBox) {
      commentsBox.hidden = !(counts.piste || counts.commentaire);
      commentsSummary.textContent = t('control.readComments', { n: countsText(counts) });
    }
    badges.replaceChildren(...[
      m.done ? h('span', { class: 'badge badge-done', i18n: 'wall.done' }) : null,
      m.locked ? h('span', { class: 'badge badge-locked', i18n: 'wall.locked' }) : null,
      h('span', { class: 'badge badge-people', text: tn('wall.people', here.length) }),
      h('span', { class: 'badge badge-progress', text: t('wall.progress', { n: filled, total: SECTIONS.length }) }),
      facilitator && (counts.piste || counts.commentaire)
        ? h('span', { class: 'badge badge-comments', text: countsText(counts) }) : null,
    ].filter(Boolean));

    if (people) {
      const ago = entry.lastActivity ? agoKey(Date.now() - entry.lastActivity) : null;
      people.replaceChildren(
        h('span', { class: 'card-people-names', text: here.length ? here.map((p) => p.name || t('board.anonymous')).join(', ') : t('control.nobody') }),
        h('span', { class: 'card-activity', text: ago ? t('control.lastActivity', { ago: t(ago.key, { n: ago.n }) }) : t('control.noActivity') }));
    }

    if (lockBtn) {
      lockBtn.setAttribute('aria-pressed', String(!!m.locked));
      lockBtn.dataset.i18n = m.locked ? 'wall.unlock' : 'wall.lock';
      lockBtn.textContent = t(lockBtn.dataset.i18n);
      lockBtn.disabled = !board.canWrite;
    }

    const tt = typeof m.title === 'string' && m.title.trim() ? m.title : null;
    title.className = ['card-title', !tt && 'is-empty'].filter(Boolean).join(' ');
    title.textContent = tt || t('wall.noTitle');
    const nv = NIVEAUX.includes(m.niveau) ? m.niveau : null;
    niveau.className = ['card-niveau', !nv && 'is-empty'].filter(Boolean).join(' ');
    niveau.replaceChildren(h('span', { class: 'card-niveau-label', i18n: 'wall.niveau' }), ' ',
      nv ? h('strong', { text: `${t(`niveau.${nv}.label`)} — ${t(`niveau.${nv}.kind`)}` }) : h('span', { i18n: 'wall.noNiveau' }));

    // The group's map, small; a click shows it full screen.
    const data = Object.values(board.elements);
    const nActors = data.filter((e) => e.elem === 'actor').length;
    const nLinks = data.filter((e) => e.elem === 'link').length;
    thumbBtn.setAttribute('aria-label', t('map.openLarge', { group: entry.group.name }));
    mapCount.textContent = `${tn('map.nActors', nActors)} · ${tn('map.nLinks', nLinks)}`;
    thumbBtn.hidden = !nActors;
    mapEmpty.hidden = !!nActors;

    const all = board.people();
    sections.replaceChildren(...SECTIONS.map((s) => {
      const text = board.text(s);
      const n = charCount(text.trim());
      const writers = all.filter((p) => p.focus === s);
      return h('li', { class: ['card-section', n ? 'is-filled' : 'is-empty'], dataset: { section: s } },
        h('p', { class: 'card-section-head' },
          h('span', { class: 'mark', 'aria-hidden': 'true', text: n ? '●' : '○' }),
          h('span', { class: 'visually-hidden', i18n: n ? 'wall.filled' : 'wall.empty' }),
          h('span', { class: 'card-section-title', i18n: `section.${s}.title` }),
          writers.length ? h('span', { class: 'card-writing', 'aria-hidden': 'true', text: '✎' }) : null,
          h('span', { class: 'count', text: tn('wall.chars', n) })),
        n ? h('p', { class: 'card-section-text', dataset: { sectionText: s }, text }) : null);
    }));
    if (toolBox) toolBox.update(entry);
  }
  entry.render = render;

  entry.destroy = () => {
    entry.destroyed = true;
    for (const off of entry.offs) off();
    if (entry.thumb) entry.thumb.destroy();
    if (entry.comments) entry.comments.destroy();
    if (toolBox && toolBox.destroy) toolBox.destroy();
    el.remove();
  };

  return entry;
}
