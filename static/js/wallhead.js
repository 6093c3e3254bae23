// The top of the projector's wall and of the control room: the workshop's
// title, tools, and what the room needs to join (link, code, QR code).

import { h } from './dom.js';
import { bigCode, joinURL, local, qrURL } from './ui.js';

const MODE_KEY = 'tablee:wall-mode';

// The header with what the room needs to join; shared with the control room.
export function wallHeader(ws, code, { eyebrowKey, tools = [] }) {
  const joinLink = joinURL(code);
  const title = h('h1', { text: ws.title });
  const el = h('header', { class: 'wall-head' },
    h('div', { class: 'wall-title' },
      h('p', { class: 'eyebrow', i18n: eyebrowKey }),
      title,
      h('div', { class: 'wall-tools' }, tools)),
    h('div', { class: 'wall-join' },
      h('div', { class: 'wall-join-text' },
        h('p', { class: 'label', i18n: 'wall.joinAt' }),
        h('p', { class: 'wall-url' }, h('a', { href: joinLink, text: joinLink.replace(/^https?:\/\//, '') })),
        h('p', { class: 'label', i18n: 'wall.codeLabel' }),
        bigCode(code)),
      h('img', { class: 'qr', src: qrURL(code), width: 200, height: 200, i18nAlt: 'common.qrAlt' })));
  return { el, setTitle: (s) => { title.textContent = s; } };
}

// "Textes complets": a toggle with a fixed label, its state in aria-pressed.
export function textsToggle(grid) {
  let full = local.get(MODE_KEY) === 'full';
  const btn = h('button', { type: 'button', class: 'btn btn-secondary btn-toggle wall-texts', 'aria-pressed': String(full) },
    h('span', { class: 'toggle-box', 'aria-hidden': 'true' }), h('span', { i18n: 'wall.showTexts' }));
  const render = () => {
    btn.setAttribute('aria-pressed', String(full));
    grid.classList.toggle('show-texts', full);
  };
  btn.addEventListener('click', () => {
    full = !full;
    local.set(MODE_KEY, full ? 'full' : 'overview');
    render();
  });
  render();
  return btn;
}

