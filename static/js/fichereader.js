// A group's fiche, read-only and live: the project's name, the level of
// cooperation, the seven sections and the map of actors (map.js in view
// mode). Shown to the room during a restitution (participants' phones, the
// projector). Each part carries data-anchor (a section key, "carte") for
// "everyone look here".

import { h } from './dom.js';
import { t, onLangChange } from './i18n.js';
import { SECTIONS, NIVEAUX } from './batch.js';
import { createMap } from './map.js';

export function createFicheReader(board, { group = '', workshop = '', large = false, map = true } = {}) {
  const offs = [];
  const title = h('p', { class: 'reader-title' });
  const niveau = h('p', { class: 'reader-niveau' });
  const texts = {};
  const parts = SECTIONS.map((key, i) => {
    const text = h('p', { class: 'reader-text', dataset: { sectionText: key } });
    texts[key] = text;
    return h('section', { class: 'reader-section', dataset: { anchor: key } },
      h('h3', { class: 'reader-section-title' },
        h('span', { class: 'section-num', 'aria-hidden': 'true', text: `${i + 1}` }),
        h('span', { i18n: `section.${key}.title` })),
      text);
  });
  let mapView = null;
  if (map) {
    mapView = createMap(board, { mode: 'view', group, workshop });
    const mapPart = h('section', { class: 'reader-section reader-map', dataset: { anchor: 'carte' } },
      h('h3', { class: 'reader-section-title' },
        h('span', { class: 'section-num map-num', 'aria-hidden': 'true', text: '◎' }),
        h('span', { i18n: 'map.title' })),
      mapView.el);
    parts.splice(SECTIONS.indexOf('ecosysteme') + 1, 0, mapPart);
  }
  const el = h('div', { class: ['reader', large && 'reader-large'] },
    h('div', { class: 'reader-head', dataset: { anchor: '' } }, title, niveau),
    h('div', { class: 'reader-sections' }, parts));

  function render() {
    if (!board.hasState) return;
    const m = board.meta;
    const tt = typeof m.title === 'string' && m.title.trim() ? m.title : '';
    title.textContent = tt || t('wall.noTitle');
    title.classList.toggle('is-empty', !tt);
    const n = NIVEAUX.includes(m.niveau) ? m.niveau : null;
    niveau.replaceChildren(h('span', { class: 'card-niveau-label', i18n: 'wall.niveau' }), ' ',
      n ? h('strong', { text: `${t(`niveau.${n}.label`)} — ${t(`niveau.${n}.kind`)}` }) : h('span', { class: 'is-empty', i18n: 'wall.noNiveau' }));
    for (const key of SECTIONS) {
      const s = board.text(key);
      texts[key].textContent = s.trim() ? s : t('reader.empty');
      texts[key].classList.toggle('is-empty', !s.trim());
    }
  }
  let scheduled = false;
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => { scheduled = false; render(); });
  };
  for (const ev of ['remote', 'reset', 'meta', 'welcome']) offs.push(board.on(ev, schedule));
  offs.push(onLangChange(render));
  render();

  return {
    el,
    map: mapView,
    destroy() {
      for (const off of offs) off();
      if (mapView) mapView.destroy();
    },
  };
}

// Scrolls a container's part into view ("everyone look here") and marks it
// for a moment.
export function showAnchor(container, section) {
  const target = container.querySelector(`[data-anchor="${CSS.escape(section || '')}"]`);
  if (!target) return null;
  target.scrollIntoView({ block: 'start', behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth' });
  target.classList.remove('is-focused');
  // Restart the highlight's animation.
  void target.offsetWidth;
  target.classList.add('is-focused');
  setTimeout(() => target.classList.remove('is-focused'), 6000);
  return target;
}
