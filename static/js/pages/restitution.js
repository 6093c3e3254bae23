// On a participant's phone during a restitution: the presenting group's
// fiche, read-only and live, and a box to add a comment or an improvement
// suggestion to it. Shown by pages/participant.js when the facilitator asks
// everyone to look at another group's board.

import { h } from '../dom.js';
import { t, onLangChange } from '../i18n.js';
import { setTitle } from '../ui.js';
import { createFicheReader, showAnchor } from '../fichereader.js';
import { createComments } from '../comments.js';

export function createRestitution(root, { sync, board, ws, group, name, who, headerExtras = [], onBack }) {
  const whoLine = h('p', { class: 'notice notice-focus', role: 'status' });
  const setWho = (w) => { whoLine.textContent = t('focus.lookOther', { who: w, group: group.name }); who = w; };
  setWho(who);
  const back = h('button', { type: 'button', class: 'btn btn-secondary btn-small', i18n: 'focus.back', on: { click: () => onBack() } });
  const reader = createFicheReader(board, { group: group.name, workshop: ws.title });
  const comments = createComments(board, { client: sync.client, author: name });
  const loading = h('p', { class: 'loading', i18n: 'common.loading' });
  const content = h('div', { class: 'restitution-body', hidden: !board.hasState }, reader.el, comments.el);

  root.replaceChildren(h('div', { class: 'board-page restitution' },
    h('header', { class: 'board-head' },
      h('div', { class: 'board-head-main' },
        h('p', { class: 'eyebrow', i18n: 'focus.eyebrow' }),
        h('h1', { class: 'group-name', text: group.name })),
      headerExtras),
    whoLine,
    h('p', { class: 'restitution-actions' }, back, h('a', { class: 'btn btn-primary btn-small', href: '#section-commentaires', i18n: 'focus.toComments' })),
    board.hasState ? null : loading,
    content));

  const retitle = () => setTitle(t('focus.eyebrow'), group.name, ws.title);
  retitle();
  let pending = null; // a section asked before the fiche arrived
  const offs = [
    board.on('welcome', () => {
      loading.remove();
      if (content.hidden) {
        content.hidden = false;
        if (pending !== null) requestAnimationFrame(() => api.show(pending));
      }
    }),
    board.on('reject', (r) => { if (!r.retrying) comments.handleReject(r); }),
    onLangChange(() => { retitle(); setWho(who); }),
  ];

  const api = {
    setWho,
    show(section) {
      if (content.hidden) { pending = section || ''; return null; }
      if (section && section !== 'carte' && section !== 'commentaires') comments.setAbout(section);
      if (!section) { window.scrollTo({ top: 0 }); return null; }
      return showAnchor(root, section);
    },
    destroy() {
      for (const off of offs) off();
      reader.destroy();
      comments.destroy();
    },
  };
  return api;
}
