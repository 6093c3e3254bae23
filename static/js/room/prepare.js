// Preparing the workshop: its title, its dates, its groups (add, rename,
// remove before a group has started). PATCH /api/workshops/{code} with the
// facilitator key; a group whose board has been written on cannot be
// removed (409 in_use).

import { h, uid } from '../dom.js';
import { t, onLangChange } from '../i18n.js';
import { groupRow, patchWorkshop } from '../ui.js';

export function createPrepare({ ws, code, key, started, onSaved }) {
  const titleId = uid('wtitle');
  const startId = uid('wstart');
  const endId = uid('wend');
  const titleInput = h('input', { id: titleId, type: 'text', maxlength: 200, required: true, autocomplete: 'off', name: 'title' });
  const start = h('input', { id: startId, type: 'date', name: 'start' });
  const end = h('input', { id: endId, type: 'date', name: 'end' });
  const list = h('ol', { class: 'group-list prepare-groups' });
  const add = h('button', { type: 'button', class: 'btn btn-secondary', i18n: 'landing.addGroup' });
  const message = h('p', { class: 'form-error', role: 'alert' });
  const saved = h('p', { class: 'form-ok', role: 'status' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', i18n: 'control.prepareSave' });
  const form = h('form', { class: 'stack prepare-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: titleId, i18n: 'landing.titleLabel' }), titleInput),
    h('fieldset', { class: 'field prepare-dates' },
      h('legend', { i18n: 'control.datesLegend' }),
      h('div', { class: 'date-row' },
        h('span', { class: 'field' }, h('label', { for: startId, i18n: 'control.dateStart' }), start),
        h('span', { class: 'field' }, h('label', { for: endId, i18n: 'control.dateEnd' }), end))),
    h('fieldset', { class: 'field' },
      h('legend', { i18n: 'landing.groupsLegend' }),
      h('p', { class: 'hint', i18n: 'control.groupsHint' }),
      list, add),
    message, saved, submit);

  const renumber = () => {
    const rows = [...list.children];
    rows.forEach((row, i) => {
      const input = row.querySelector('input');
      const btn = row.querySelector('button');
      input.setAttribute('aria-label', t('landing.groupName', { n: i + 1 }));
      const locked = row.dataset.started === 'yes';
      btn.disabled = rows.length <= 1 || locked;
      btn.setAttribute('aria-label', t('landing.removeGroup', { name: input.value || t('landing.groupDefault', { n: i + 1 }) }));
      row.querySelector('.group-started').hidden = !locked;
    });
  };
  const addRow = (group) => groupRow(list, renumber, {
    value: group ? group.name : '',
    dataset: { id: group ? group.id : '', started: group && started(group) ? 'yes' : 'no' },
    extra: h('span', { class: 'hint group-started', i18n: 'control.groupStarted' }),
  });
  add.addEventListener('click', () => addRow(null).focus());

  function fill(w) {
    titleInput.value = w.title || '';
    start.value = (w.dates && w.dates.start) || '';
    end.value = (w.dates && w.dates.end) || '';
    list.replaceChildren();
    for (const g of w.groups) addRow(g);
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    message.textContent = '';
    saved.textContent = '';
    const title = titleInput.value.trim();
    const groups = [...list.children].map((row) => ({ id: row.dataset.id || undefined, name: row.querySelector('input').value.trim() }));
    if (!title) { message.textContent = t('control.errTitle'); titleInput.focus(); return; }
    if (!groups.length || groups.some((g) => !g.name)) { message.textContent = t('control.errGroupName'); return; }
    if (new Set(groups.map((g) => g.name)).size !== groups.length) { message.textContent = t('landing.errDupGroup'); return; }
    if (start.value && end.value && end.value < start.value) { message.textContent = t('control.errDates'); end.focus(); return; }
    submit.disabled = true;
    try {
      const next = await patchWorkshop(code, key, { title, dates: { start: start.value, end: end.value }, groups });
      saved.textContent = t('control.prepareSaved');
      onSaved(next);
      fill(next);
    } catch (err) {
      message.textContent = err.code === 'in_use' ? t('control.errInUse')
        : err.code === 'network' ? t('common.errNetwork') : t('common.errServer', { message: err.message });
    } finally {
      submit.disabled = false;
    }
  });

  fill(ws);
  const el = h('section', { class: 'panel control-panel prepare-panel', id: 'panel-prepare', 'aria-labelledby': 'prepare-title' },
    h('h2', { id: 'prepare-title', i18n: 'control.prepareTitle' }),
    h('p', { class: 'hint', i18n: 'control.prepareHelp' }),
    form);
  const off = onLangChange(renumber);
  return {
    el,
    // A group has just started (its first edit): it cannot be removed any more.
    refreshStarted(groups) {
      for (const row of list.children) {
        const g = groups.find((x) => x.id === row.dataset.id);
        if (g && started(g)) row.dataset.started = 'yes';
      }
      renumber();
    },
    destroy() { off(); },
  };
}
