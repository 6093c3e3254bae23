// "/j/CODE": a participant picks a name and a group, then co-writes the
// group's fiche-projet.

import { h, uid } from '../dom.js';
import { t, tn, onLangChange } from '../i18n.js';
import { Sync, tabClientId } from '../sync.js';
import { SECTIONS, NIVEAUX } from '../batch.js';
import { bindText } from '../textbinding.js';
import { getWorkshop, local, messagePage, notify, setTitle, statusIndicator } from '../ui.js';
import { throttle } from '../util.js';
import { createMap } from '../map.js';

const NAME_KEY = 'tablee:name';
const groupKey = (code) => `tablee:group:${code}`;

export async function participant(root, code) {
  root.replaceChildren(h('p', { class: 'loading', i18n: 'common.loading' }));
  let ws;
  try {
    ws = await getWorkshop(code);
  } catch (err) {
    if (err.status === 404) messagePage(root, 'join.notFoundTitle', 'join.notFoundText', { code });
    else messagePage(root, 'common.errTitle', err.code === 'network' ? 'common.errNetwork' : 'common.errServer', { message: err.message });
    return () => {};
  }

  let cleanup = () => {};
  const show = (fn) => { cleanup(); cleanup = fn() || (() => {}); };

  const chooseIdentity = () => show(() => identityForm(root, ws, code, (name, group) => {
    local.set(NAME_KEY, name);
    local.set(groupKey(code), group.id);
    show(() => boardView(root, ws, code, name, group, chooseIdentity));
  }));

  const name = (local.get(NAME_KEY) || '').trim();
  const group = ws.groups.find((g) => g.id === local.get(groupKey(code)));
  if (name && group) show(() => boardView(root, ws, code, name, group, chooseIdentity));
  else chooseIdentity();
  return () => cleanup();
}

// ---- Step 1: who are you, which group -----------------------------------------

function identityForm(root, ws, code, done) {
  const nameId = uid('name');
  const nameInput = h('input', {
    id: nameId, type: 'text', required: true, maxlength: 60, autocomplete: 'given-name',
    value: local.get(NAME_KEY) || '', i18nPlaceholder: 'join.namePlaceholder',
  });
  const current = local.get(groupKey(code));
  const groups = h('div', { class: 'group-choices', role: 'radiogroup', 'aria-labelledby': 'group-legend' },
    ws.groups.map((g, i) => {
      const id = uid('group');
      return h('div', { class: 'choice' },
        h('input', { type: 'radio', name: 'group', id, value: g.id, checked: current ? current === g.id : (ws.groups.length === 1 && i === 0) }),
        h('label', { for: id, class: 'choice-label', text: g.name }));
    }));
  const error = h('p', { class: 'form-error', role: 'alert' });
  const form = h('form', { class: 'stack', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: nameId, i18n: 'join.nameLabel' }), nameInput),
    h('fieldset', { class: 'field' }, h('legend', { id: 'group-legend', i18n: 'join.groupLegend' }), groups),
    error,
    h('button', { type: 'submit', class: 'btn btn-primary btn-block', i18n: 'join.enter' }));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const name = nameInput.value.trim();
    const checked = form.querySelector('input[name=group]:checked');
    if (!name) { error.textContent = t('join.errName'); nameInput.focus(); return; }
    if (!checked) { error.textContent = t('join.errGroup'); return; }
    done(name, ws.groups.find((g) => g.id === checked.value));
  });
  root.replaceChildren(h('section', { class: 'panel identity' },
    h('p', { class: 'eyebrow', i18n: 'join.eyebrow' }),
    h('h1', { class: 'workshop-title', text: ws.title }),
    h('p', { class: 'hint', i18n: 'join.welcome' }),
    form));
  const retitle = () => setTitle(ws.title);
  retitle();
  if (!nameInput.value) nameInput.focus();
  return onLangChange(retitle);
}

// ---- Step 2: the fiche-projet ----------------------------------------------------

function boardView(root, ws, code, name, group, changeIdentity) {
  const offs = [];
  const bindings = [];
  let sync = null;
  let board = null;
  let disposed = false;

  const status = statusIndicator();
  const people = h('ul', { class: 'people', 'aria-label': t('board.peopleLabel') });
  const lockNotice = h('p', { class: 'notice notice-lock', role: 'status', hidden: true, i18n: 'board.locked' });
  const errorBox = h('div', { class: 'notice notice-error', role: 'alert', hidden: true });
  const loading = h('p', { class: 'loading', i18n: 'common.loading' });

  const changeBtn = h('button', { type: 'button', class: 'btn btn-link btn-small change-identity', i18n: 'board.change' });
  changeBtn.addEventListener('click', () => changeIdentity());

  // Sticky and small: which group, and whether the work is saved.
  const header = h('header', { class: 'board-head' },
    h('div', { class: 'board-head-main' },
      h('p', { class: 'eyebrow', text: ws.title }),
      h('h1', { class: 'group-name', text: group.name })),
    status.el);

  // Project title (meta.title): last writer wins, so a plain input.
  const titleId = uid('ptitle');
  const titleInput = h('input', {
    id: titleId, type: 'text', class: 'project-title', maxlength: 200, autocomplete: 'off',
    i18nPlaceholder: 'board.projectTitlePlaceholder', disabled: true,
  });
  let titleComposing = false;
  const sendTitle = () => { if (board && !titleComposing) board.setMeta({ title: titleInput.value }); };
  titleInput.addEventListener('compositionstart', () => { titleComposing = true; });
  titleInput.addEventListener('compositionend', () => { titleComposing = false; sendTitle(); });
  titleInput.addEventListener('input', (ev) => { if (!ev.isComposing) sendTitle(); });

  // Sections.
  let niveau = null; // { el, inputs }, built with the niveau section
  const sectionEls = {};
  const sectionList = h('div', { class: 'sections' }, SECTIONS.map((key, i) => {
    const taId = uid(`s-${key}`);
    const helpId = uid('help');
    const headId = uid('head');
    const writers = h('span', { class: 'writers', 'aria-live': 'off' });
    const textarea = h('textarea', {
      id: taId, class: 'section-text', rows: 3, 'aria-labelledby': headId, 'aria-describedby': helpId,
      spellcheck: 'true', disabled: true, dataset: { section: key },
    });
    let extra = null;
    if (key === 'niveau') extra = niveauChoice();
    sectionEls[key] = { textarea, writers };
    return h('section', { class: 'fiche-section', id: `section-${key}`, dataset: { section: key } },
      h('div', { class: 'section-head' },
        h('h2', { id: headId },
          h('span', { class: 'section-num', 'aria-hidden': 'true', text: `${i + 1}` }),
          h('span', { i18n: `section.${key}.title` })),
        writers),
      h('p', { id: helpId, class: 'section-help', i18n: `section.${key}.help` }),
      extra && extra.el,
      textarea);
  }));

  // Niveau de coopération: radio group on meta.niveau.
  function niveauChoice() {
    const name = uid('niveau');
    const legendId = uid('legend');
    const inputs = {};
    const el = h('fieldset', { class: 'niveau-choice' },
      h('legend', { id: legendId, class: 'visually-hidden', i18n: 'niveau.legend' }),
      NIVEAUX.map((n) => {
        const id = uid(n);
        const input = h('input', { type: 'radio', name, id, value: n, disabled: true });
        input.addEventListener('change', () => { if (input.checked && board) board.setMeta({ niveau: n }); });
        inputs[n] = input;
        return h('div', { class: 'niveau-option' }, input,
          h('label', { for: id },
            h('span', { class: 'niveau-label', i18n: `niveau.${n}.label` }),
            h('span', { class: 'niveau-kind', i18n: `niveau.${n}.kind` }),
            h('span', { class: 'niveau-explain', i18n: `niveau.${n}.explain` })));
      }));
    niveau = { el, inputs };
    return niveau;
  }

  // Carte des acteurs: part of the Éco-système, right after its text.
  const mapHeadId = uid('maphead');
  const mapHost = h('div', { class: 'map-host' }, h('p', { class: 'loading', i18n: 'common.loading' }));
  const mapSection = h('section', { class: 'fiche-section map-section', id: 'section-carte', 'aria-labelledby': mapHeadId },
    h('div', { class: 'section-head' },
      h('h2', { id: mapHeadId },
        h('span', { class: 'section-num map-num', 'aria-hidden': 'true', text: '◎' }),
        h('span', { i18n: 'map.title' }))),
    h('p', { class: 'section-help', i18n: 'map.sectionHelp' }),
    mapHost);
  sectionList.querySelector('#section-ecosysteme').after(mapSection);
  let map = null;

  // Nous avons terminé (meta.done).
  const doneBtn = h('button', { type: 'button', class: 'btn btn-done', 'aria-pressed': 'false', disabled: true },
    h('span', { class: 'done-mark', 'aria-hidden': 'true' }), h('span', { class: 'done-text', i18n: 'board.done' }));
  const doneHint = h('p', { class: 'hint done-hint', i18n: 'board.doneHint' });
  doneBtn.addEventListener('click', () => { if (board) board.setMeta({ done: !board.meta.done }); });

  const content = h('div', { class: 'fiche', hidden: true },
    lockNotice,
    h('div', { class: 'field project-title-field' },
      h('label', { for: titleId, class: 'project-title-label', i18n: 'board.projectTitle' }),
      titleInput),
    sectionList,
    h('div', { class: 'done-box' }, doneBtn, doneHint));

  root.replaceChildren(h('div', { class: 'board-page' },
    header,
    h('section', { class: 'presence-bar', 'aria-labelledby': 'people-title' },
      h('h2', { id: 'people-title', class: 'presence-title', i18n: 'board.here' }), people, changeBtn),
    errorBox, loading, content));

  const retitle = () => setTitle(group.name, ws.title);
  retitle();

  // ---- rendering from the board's local view ------------------------------

  const locked = () => !!(board && board.meta.locked);

  function renderMeta() {
    if (!board || !board.hasState) return;
    const m = board.meta;
    const ro = locked() || !board.canWrite;
    lockNotice.hidden = !m.locked;
    if (!(document.activeElement === titleInput && !ro) || titleInput.value === '') {
      const want = typeof m.title === 'string' ? m.title : '';
      if (titleInput.value !== want && !titleComposing) titleInput.value = want;
    }
    titleInput.disabled = false;
    titleInput.readOnly = ro;
    for (const [n, input] of Object.entries(niveau.inputs)) {
      input.checked = m.niveau === n;
      input.disabled = ro;
    }
    doneBtn.disabled = ro;
    doneBtn.setAttribute('aria-pressed', m.done ? 'true' : 'false');
    for (const { textarea } of Object.values(sectionEls)) {
      textarea.disabled = false;
      textarea.readOnly = ro;
    }
  }

  function renderPeople() {
    if (!board) return;
    const others = board.people();
    people.replaceChildren(
      h('li', { class: 'person person-me', text: t('board.meChip', { name }) }),
      ...others.map((p) => h('li', { class: 'person', text: p.name || t('board.anonymous') })));
    for (const [key, { writers }] of Object.entries(sectionEls)) {
      const here = others.filter((p) => p.focus === key);
      writers.replaceChildren(...here.map((p) => h('span', { class: 'writer', text: p.name || t('board.anonymous') })));
      writers.setAttribute('aria-label', here.length ? tn('board.writing', here.length, { names: here.map((p) => p.name).join(', ') }) : '');
    }
  }

  function showError(key, params) {
    errorBox.hidden = false;
    errorBox.replaceChildren(h('p', { text: t(key, params) }));
  }

  function mount() {
    loading.remove();
    content.hidden = false;
    for (const key of SECTIONS) {
      const { textarea } = sectionEls[key];
      bindings.push(bindText(textarea, board, key, { onFocus: (p) => board.setPresence(p) }));
    }
    renderMeta();
    renderPeople();
  }

  // Auto-grown textareas change height when the width changes.
  const regrow = throttle(() => { for (const b of bindings) b.grow(); }, 200);
  window.addEventListener('resize', regrow);

  // ---- sync ----------------------------------------------------------------------

  (async () => {
    const client = await tabClientId();
    if (disposed) return;
    sync = new Sync({ client, name });
    board = sync.follow(group.board, { key: code });
    map = createMap(board, { mode: 'edit', group: group.name, workshop: ws.title });
    mapHost.replaceChildren(map.el);
    const setStatus = () => {
      if (!sync.everOpened && !board.hasState) status.set('connecting');
      else status.set(board.status());
    };
    offs.push(
      board.on('status', setStatus),
      board.on('welcome', () => { if (!bindings.length) mount(); errorBox.hidden = true; renderMeta(); setStatus(); }),
      board.on('meta', renderMeta),
      board.on('reset', renderMeta),
      board.on('presence', renderPeople),
      board.on('reject', (r) => {
        if (r.retrying) return;
        if (map && map.handleReject(r)) return; // a map change: the map says why
        notify(r.code === 'locked' ? t('board.rejectLocked') : t('board.rejected', { message: r.message || r.code }), { kind: 'error' });
      }),
      board.on('lost', () => notify(t('board.lost'), { kind: 'error' })),
      board.on('error', (e) => {
        if (!board.ready) showError(e.code === 'forbidden' || e.code === 'not_found' ? 'board.errAccess' : 'board.errGeneric', { message: e.message || e.code });
      }),
      sync.on('connection', setStatus),
      sync.on('error', (e) => {
        if (e.code === 'policy') showError('common.errPolicy');
        if (e.code === 'refused') showError('common.errRefused');
      }),
    );
    // Show a reloaded tab's text at once, before the server answers.
    if (board.hasState) mount();
    // Be listed by the others from the start (no section yet).
    board.setPresence({ focus: null });
    titleInput.addEventListener('focus', () => board.setPresence({ focus: 'title' }));
    titleInput.addEventListener('blur', () => { board.setPresence({ focus: null }); renderMeta(); });
    sync.start();
    setStatus();
  })();

  const offLang = onLangChange(() => { retitle(); renderPeople(); people.setAttribute('aria-label', t('board.peopleLabel')); });

  return () => {
    disposed = true;
    window.removeEventListener('resize', regrow);
    regrow.cancel();
    offLang();
    for (const off of offs) off();
    for (const b of bindings) b.destroy();
    if (map) map.destroy();
    if (sync) sync.stop();
  };
}
