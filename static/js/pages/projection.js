// The projection of one group's board, made for a wall: large type, the
// sections, the map of actors (map.js, view mode) and the room's comments
// live; previous / next group and back to the overview. Part of the
// projector's page (pages/wall.js), which follows every board.

import { h } from '../dom.js';
import { t, onLangChange } from '../i18n.js';
import { setTitle } from '../ui.js';
import { createFicheReader, showAnchor } from '../fichereader.js';
import { createComments } from '../comments.js';
import { createMap } from '../map.js';

// entries: [{ group, board }] in the workshop's order; index: the one shown.
export function createProjection(root, { entries, index, ws, client, headerExtras = [], onNavigate }) {
  const { group, board } = entries[index];
  const n = entries.length;
  const prev = entries[(index - 1 + n) % n];
  const next = entries[(index + 1) % n];
  const navBtn = (cls, key, target, arrow) => h('button', {
    type: 'button', class: ['btn btn-secondary projection-nav-btn', cls], on: { click: () => onNavigate(target.board.id) },
  }, arrow === 'left' ? h('span', { 'aria-hidden': 'true', text: '←' }) : null,
  h('span', { class: 'projection-nav-text', text: t(key, { group: target.group.name }) }),
  arrow === 'right' ? h('span', { 'aria-hidden': 'true', text: '→' }) : null);

  const reader = createFicheReader(board, { group: group.name, workshop: ws.title, large: true, map: false });
  const map = createMap(board, { mode: 'view', group: group.name, workshop: ws.title });
  const comments = createComments(board, { client, compose: false, large: true });

  const el = h('div', { class: 'projection', dataset: { board: board.id } },
    h('header', { class: 'projection-head' },
      h('div', { class: 'projection-title' },
        h('p', { class: 'eyebrow', text: t('projection.eyebrow', { n: index + 1, total: n }) }),
        h('h1', { class: 'projection-group', text: group.name })),
      headerExtras,
      h('nav', { class: 'projection-nav', 'aria-label': t('projection.navLabel') },
        n > 1 ? navBtn('projection-prev', 'projection.prev', prev, 'left') : null,
        h('button', { type: 'button', class: 'btn btn-secondary projection-overview', i18n: 'projection.overview', on: { click: () => onNavigate(null) } }),
        n > 1 ? navBtn('projection-next', 'projection.next', next, 'right') : null)),
    h('div', { class: 'projection-body' },
      h('div', { class: 'projection-fiche' }, reader.el),
      // The room's comments first: they come in live while the group presents.
      h('div', { class: 'projection-side' },
        comments.el,
        h('section', { class: 'reader-section reader-map', dataset: { anchor: 'carte' } },
          h('h2', { class: 'reader-section-title' },
            h('span', { class: 'section-num map-num', 'aria-hidden': 'true', text: '◎' }),
            h('span', { i18n: 'map.title' })),
          map.el))));
  // The map as large as the column allows; its legend a click away.
  const legend = map.el.querySelector('.map-legend');
  if (legend) legend.open = false;
  root.replaceChildren(el);

  const retitle = () => setTitle(group.name, t('wall.pageTitleProjector'), ws.title);
  retitle();
  const offLang = onLangChange(retitle);

  return {
    board,
    show(section) { return section ? showAnchor(el, section) : (window.scrollTo({ top: 0 }), null); },
    destroy() {
      offLang();
      reader.destroy();
      map.destroy();
      comments.destroy();
    },
  };
}
