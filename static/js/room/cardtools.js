// The facilitator's actions on one group's card in the control room:
// everyone look at this board, project it, write in it for the group, and
// its exports.

import { h } from '../dom.js';
import { t, getLang } from '../i18n.js';
import { exportURL, printURL, projectionURL, writeForGroupURL } from '../ui.js';
import { focusProps } from '../control.js';

export function createCardTools(group, { sync, control, code, key }) {
  let g = group;
  const look = h('button', { type: 'button', class: 'btn btn-small btn-primary card-look', 'aria-pressed': 'false', i18n: 'control.lookHere' });
  look.addEventListener('click', () => {
    if (control) control.setMeta(focusProps(g.board, '', sync.serverNow()));
  });
  const project = h('a', { class: 'btn btn-small btn-secondary card-project', target: '_blank', rel: 'noopener', i18n: 'wall.project' });
  const write = h('a', { class: 'btn btn-small btn-secondary card-write', target: '_blank', rel: 'noopener', i18n: 'control.writeFor' });
  const md = h('a', { class: 'card-export card-export-md', download: '', i18n: 'export.mdShort' });
  const json = h('a', { class: 'card-export card-export-json', download: '', i18n: 'export.jsonShort' });
  const print = h('a', { class: 'card-export card-export-print', target: '_blank', rel: 'noopener', i18n: 'export.printShort' });
  const el = h('div', { class: 'card-actions' },
    h('div', { class: 'card-buttons' }, look, project, write),
    h('p', { class: 'card-exports' }, h('span', { class: 'label', i18n: 'map.exportLabel' }), ' ', md, ' · ', json, ' · ', print));

  return {
    el,
    update(entry) {
      g = entry.group;
      const lang = getLang();
      project.href = projectionURL(code, g.board);
      write.href = writeForGroupURL(code, key, g.id);
      md.href = exportURL(g.board, code, 'md', lang);
      json.href = exportURL(g.board, code, 'json', lang);
      print.href = printURL(code, g.board);
      const focused = !!(control && control.hasState && control.meta.focusBoard === g.board);
      look.setAttribute('aria-pressed', String(focused));
      entry.el.classList.toggle('is-focus', focused);
      look.disabled = !(control && control.hasState && control.canWrite);
      write.setAttribute('aria-label', t('control.writeForNamed', { group: g.name }));
    },
  };
}
