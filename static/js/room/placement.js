// Who is connected, in which group, and moving someone to another group:
// an `assign` on the control board ({client, group, name}); the person's
// page follows it and switches to that group's fiche.

import { h, uid } from '../dom.js';
import { t, tn, onLangChange } from '../i18n.js';
import { uuid } from '../util.js';
import { assignments, placeChanges } from '../control.js';

export function createPlacement({ control, cards }) {
  const count = h('span', { class: 'placement-count' });
  const list = h('ul', { class: 'placement-list' });
  const empty = h('p', { class: 'hint', i18n: 'control.placementEmpty' });
  const rows = new Map(); // client -> { li, name, where, select, btn, note }

  const el = h('section', { class: 'panel control-panel placement-panel', id: 'panel-people', 'aria-labelledby': 'people-title' },
    h('h2', { id: 'people-title' }, h('span', { i18n: 'control.placementTitle' }), ' ', count),
    h('p', { class: 'hint', i18n: 'control.placementHelp' }),
    empty, list);

  // Participants seen on the groups' boards (presence), by client.
  function connected() {
    const out = new Map();
    for (const c of cards()) {
      if (!c.board) continue;
      for (const p of c.board.people()) {
        if (p.role && p.role !== 'participant') continue;
        if (!out.has(p.client)) out.set(p.client, { client: p.client, name: p.name || t('board.anonymous'), group: c.group });
      }
    }
    return [...out.values()].sort((a, b) => a.name.localeCompare(b.name) || a.client.localeCompare(b.client));
  }

  function row(person) {
    const selId = uid('move');
    const select = h('select', { id: selId, class: 'placement-select' });
    const btn = h('button', { type: 'button', class: 'btn btn-small btn-secondary placement-move', i18n: 'control.move' });
    const name = h('span', { class: 'placement-name' });
    const where = h('span', { class: 'placement-where' });
    const note = h('span', { class: 'placement-note' });
    const li = h('li', { class: 'placement-row', dataset: { client: person.client } },
      h('span', { class: 'placement-who' }, name, where, note),
      h('span', { class: 'placement-action' },
        h('label', { for: selId, class: 'visually-hidden', text: '' }), select, btn));
    btn.addEventListener('click', () => {
      const r = rows.get(person.client);
      if (!r || !control || !control.hasState || !select.value) return;
      control.changeElements(placeChanges(control.elements, { client: person.client, group: select.value, name: r.person.name }, uuid()));
    });
    return { li, name, where, note, select, btn, person };
  }

  function render() {
    const people = connected();
    const placed = control && control.hasState ? assignments(control.elements) : new Map();
    const groups = cards().map((c) => c.group);
    count.textContent = `(${tn('control.nConnected', people.length)})`;
    empty.hidden = people.length > 0;
    const seen = new Set();
    people.forEach((p, i) => {
      seen.add(p.client);
      let r = rows.get(p.client);
      if (!r) { r = row(p); rows.set(p.client, r); }
      r.person = p;
      r.name.textContent = p.name;
      r.where.textContent = t('control.inGroup', { group: p.group.name });
      const a = placed.get(p.client);
      const target = a && a.group !== p.group.id ? groups.find((g) => g.id === a.group) : null;
      r.note.textContent = target ? t('control.movingTo', { group: target.name }) : '';
      r.li.querySelector('label').textContent = t('control.moveLabel', { name: p.name });
      // Keep a choice being made; offer the other groups.
      const choice = r.select.value;
      const options = groups.filter((g) => g.id !== p.group.id);
      const sig = JSON.stringify(options.map((g) => [g.id, g.name]));
      if (r.select.dataset.sig !== sig) {
        r.select.dataset.sig = sig;
        r.select.replaceChildren(...options.map((g) => h('option', { value: g.id, text: g.name })));
        if (options.some((g) => g.id === choice)) r.select.value = choice;
      }
      r.btn.disabled = !options.length || !(control && control.hasState && control.canWrite);
      // In order, without moving a row that is in place (its select may be open).
      if (list.children[i] !== r.li) list.insertBefore(r.li, list.children[i] || null);
    });
    for (const [client, r] of rows) if (!seen.has(client)) { r.li.remove(); rows.delete(client); }
  }

  let scheduled = false;
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => { scheduled = false; render(); });
  };
  const offs = [onLangChange(render)];
  if (control) offs.push(control.on('elements', schedule), control.on('welcome', schedule));
  const watch = (c) => { if (c.board) offs.push(c.board.on('presence', schedule), c.board.on('welcome', schedule)); };
  for (const c of cards()) watch(c);
  render();
  return {
    el,
    watch(c) { watch(c); schedule(); },
    refresh: schedule,
    destroy() { for (const off of offs) off(); },
  };
}
