// The whole room at once: lock or unlock every fiche, "everyone look here"
// (a board and a part of it), let everyone go back to their own fiche, and
// the projector's screen.

import { h, uid } from '../dom.js';
import { t, onLangChange } from '../i18n.js';
import { SECTIONS } from '../batch.js';
import { projectionURL } from '../ui.js';
import { agoKey, focusProps } from '../control.js';

export function focusPartLabel(section) {
  if (section === 'carte') return t('map.title');
  if (section === 'commentaires') return t('comments.title');
  if (SECTIONS.includes(section)) return t(`section.${section}.title`);
  return t('comments.aboutAll');
}

export function createRoomPanel({ sync, control, code, cards }) {
  const lockAll = h('button', { type: 'button', class: 'btn btn-secondary lock-all', i18n: 'control.lockAll' });
  const unlockAll = h('button', { type: 'button', class: 'btn btn-secondary unlock-all', i18n: 'control.unlockAll' });
  const setAll = (locked) => { for (const c of cards()) if (c.board && c.board.hasState) c.board.setMeta({ locked }); };
  lockAll.addEventListener('click', () => setAll(true));
  unlockAll.addEventListener('click', () => setAll(false));

  const boardId = uid('fboard');
  const partId = uid('fpart');
  const boardSel = h('select', { id: boardId, name: 'board', class: 'focus-board' });
  const partSel = h('select', { id: partId, name: 'part', class: 'focus-part' });
  const send = h('button', { type: 'submit', class: 'btn btn-primary focus-send', i18n: 'control.lookHere' });
  const form = h('form', { class: 'focus-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: boardId, i18n: 'control.focusBoard' }), boardSel),
    h('div', { class: 'field' }, h('label', { for: partId, i18n: 'control.focusPart' }), partSel),
    send);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!control || !control.hasState || !boardSel.value) return;
    control.setMeta(focusProps(boardSel.value, partSel.value, sync.serverNow()));
  });
  const current = h('p', { class: 'focus-current', role: 'status' });
  const release = h('button', { type: 'button', class: 'btn btn-secondary focus-release', i18n: 'control.release' });
  release.addEventListener('click', () => {
    if (control && control.hasState) control.setMeta(focusProps('', '', sync.serverNow()));
  });
  const projector = h('a', { class: 'btn btn-secondary', href: projectionURL(code), target: '_blank', rel: 'noopener', i18n: 'wall.openProjector' });

  const el = h('section', { class: 'panel control-panel room-panel', id: 'panel-room', 'aria-labelledby': 'room-title' },
    h('h2', { id: 'room-title', i18n: 'control.roomTitle' }),
    h('p', { class: 'hint', i18n: 'control.roomHelp' }),
    h('div', { class: 'control-row' }, lockAll, unlockAll),
    h('h3', { i18n: 'control.lookHere' }),
    form,
    h('div', { class: 'focus-now' }, current, release),
    h('div', { class: 'control-row' }, projector));

  function fillSelects() {
    const keep = boardSel.value;
    boardSel.replaceChildren(...cards().map((c) => h('option', { value: c.group.board, text: c.group.name })));
    if (keep && cards().some((c) => c.group.board === keep)) boardSel.value = keep;
    const part = partSel.value;
    partSel.replaceChildren(...['', ...SECTIONS, 'carte', 'commentaires'].map((s) => h('option', { value: s, text: focusPartLabel(s) })));
    partSel.value = part;
  }

  function render() {
    const can = !!(control && control.hasState && control.canWrite);
    for (const b of [send, release]) b.disabled = !can;
    const m = control && control.hasState ? control.meta : {};
    const card = m.focusBoard ? cards().find((c) => c.group.board === m.focusBoard) : null;
    release.hidden = !card;
    if (card) {
      const ago = agoKey(sync.serverNow() - (m.focusAt || 0));
      current.textContent = t('control.focusNow', { group: card.group.name, part: focusPartLabel(m.focusSection || ''), ago: t(ago.key, { n: ago.n }) });
    } else {
      current.textContent = t('control.focusNone');
    }
  }

  fillSelects();
  const offs = control ? ['meta', 'welcome', 'reset'].map((ev) => control.on(ev, render)) : [];
  offs.push(onLangChange(() => { fillSelects(); render(); }));
  const ticker = setInterval(render, 30_000);
  render();
  return {
    el,
    groupsChanged() { fillSelects(); render(); },
    destroy() { clearInterval(ticker); for (const off of offs) off(); },
  };
}
