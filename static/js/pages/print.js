// "/print/CODE/BOARD": a group's fiche ready to print on A4 (or to save as
// PDF from the browser's print dialog): the sections, the level, the map of
// actors and the room's comments. Styles in css/print.css. The board is
// read once over HTTP with the workshop's code; the map is the same SVG as
// its export, shown as an image (user text never becomes markup here).

import { h } from '../dom.js';
import { t, getLang, onLangChange } from '../i18n.js';
import { SECTIONS, NIVEAUX, stateFromSnapshot } from '../batch.js';
import { exportSVG, mapData } from '../mapmodel.js';
import { exportURL, getBoard, getWorkshop, messagePage, setTitle } from '../ui.js';
import { commentList } from '../control.js';
import { aboutLabel } from '../comments.js';

export async function printPage(root, code, boardId) {
  root.replaceChildren(h('p', { class: 'loading', i18n: 'common.loading' }));
  let ws;
  let snap;
  try {
    [ws, snap] = await Promise.all([getWorkshop(code), getBoard(boardId, code)]);
  } catch (err) {
    if (err.status === 404 || err.status === 403) messagePage(root, 'print.notFoundTitle', 'print.notFoundText');
    else messagePage(root, 'common.errTitle', err.code === 'network' ? 'common.errNetwork' : 'common.errServer', { message: err.message });
    return () => {};
  }
  const group = ws.groups.find((g) => g.board === boardId) || { name: '' };
  const st = stateFromSnapshot(snap);
  document.body.classList.add('is-print');
  let mapURL = null;

  function render() {
    if (mapURL) URL.revokeObjectURL(mapURL);
    mapURL = null;
    const lang = getLang();
    const m = st.meta;
    const title = typeof m.title === 'string' && m.title.trim() ? m.title : '';
    const niveau = NIVEAUX.includes(m.niveau) ? m.niveau : null;
    const actors = mapData(st.elements).actors.length;
    let mapImg = h('p', { class: 'print-empty', i18n: 'map.noActorsView' });
    if (actors) {
      mapURL = URL.createObjectURL(new Blob([exportSVG(st.elements, { t, title, group: group.name, workshop: ws.title })], { type: 'image/svg+xml' }));
      mapImg = h('img', { class: 'print-map-img', src: mapURL, alt: t('print.mapAlt', { group: group.name }) });
    }
    const comments = commentList(st.elements);
    const block = (key, list) => h('section', { class: 'print-comments-block' },
      h('h3', { i18n: key }),
      list.length ? h('ul', {}, list.map((c) => h('li', {},
        h('p', { class: 'print-comment-text', text: c.text }),
        h('p', { class: 'print-comment-meta', text: `${c.author || t('board.anonymous')} · ${aboutLabel(c.section)}` }))))
        : h('p', { class: 'print-empty', i18n: 'print.none' }));
    const date = new Intl.DateTimeFormat(lang, { dateStyle: 'long' }).format(new Date());

    root.replaceChildren(h('div', { class: 'print-page' },
      h('div', { class: 'print-toolbar' },
        h('p', { class: 'hint', i18n: 'print.help' }),
        h('p', { class: 'actions' },
          h('button', { type: 'button', class: 'btn btn-primary print-now', i18n: 'print.print', on: { click: () => window.print() } }),
          h('a', { class: 'btn btn-secondary', href: exportURL(boardId, code, 'md', lang), download: '', i18n: 'export.md' }),
          h('a', { class: 'btn btn-secondary', href: exportURL(boardId, code, 'json', lang), download: '', i18n: 'export.json' }))),
      h('article', { class: 'print-doc' },
        h('header', { class: 'print-head' },
          h('p', { class: 'print-workshop', text: ws.title }),
          h('h1', { class: 'print-group', text: group.name }),
          h('p', { class: ['print-title', !title && 'is-empty'], text: title || t('wall.noTitle') }),
          h('p', { class: 'print-niveau' },
            h('span', { i18n: 'wall.niveau' }), ' ',
            niveau ? h('strong', { text: `${t(`niveau.${niveau}.label`)} — ${t(`niveau.${niveau}.kind`)}` }) : h('span', { class: 'is-empty', i18n: 'wall.noNiveau' }))),
        SECTIONS.map((key, i) => {
          const text = st.sections[key] || '';
          return h('section', { class: ['print-section', !text.trim() && 'is-blank'], dataset: { section: key } },
            h('h2', {}, h('span', { class: 'print-num', text: `${i + 1}.` }), ' ', h('span', { i18n: `section.${key}.title` })),
            text.trim() ? h('p', { class: 'print-text', text }) : h('p', { class: 'print-empty', i18n: 'reader.empty' }));
        }),
        h('section', { class: 'print-map' },
          h('h2', { i18n: 'map.title' }),
          mapImg),
        h('section', { class: 'print-comments' },
          h('h2', { i18n: 'comments.title' }),
          block('comments.pistesTitle', comments.filter((c) => c.kind === 'piste')),
          block('comments.commentsTitle', comments.filter((c) => c.kind !== 'piste'))),
        h('footer', { class: 'print-foot', text: t('print.footer', { date }) }))));
    setTitle(group.name, ws.title);
  }

  render();
  const off = onLangChange(render);
  return () => {
    off();
    if (mapURL) URL.revokeObjectURL(mapURL);
    document.body.classList.remove('is-print');
  };
}
