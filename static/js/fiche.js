// A group's fiche-projet, co-edited live: the project's name, the seven
// sections, the level of cooperation, the map of actors, "we are done", the
// comments and improvement suggestions of the room, and the exports.
//
//   createFiche(root, { sync, board, ws, code, group, name, facilitator,
//                       headerExtras, onChangeIdentity })
// The caller owns the Sync and the board (pages/participant.js); this view
// renders into root and listens to the board. Read-only while the board is
// locked or the workshop closed (except for the facilitator), and for a
// viewer.

import { h, uid } from './dom.js';
import { t, tn, getLang, onLangChange } from './i18n.js';
import { SECTIONS, NIVEAUX } from './batch.js';
import { bindText } from './textbinding.js';
import { exportURL, notify, printURL, setTitle, statusIndicator } from './ui.js';
import { throttle } from './util.js';
import { createMap } from './map.js';
import { createComments } from './comments.js';
import { showAnchor } from './fichereader.js';

export function createFiche(root, {
  sync, board, ws, code, group, name, facilitator = false, headerExtras = [], onChangeIdentity = null,
}) {
  const offs = [];
  const bindings = [];
  let destroyed = false;

  const status = statusIndicator();
  const people = h('ul', { class: 'people', 'aria-label': t('board.peopleLabel') });
  const lockNotice = h('p', { class: 'notice notice-lock', role: 'status', hidden: true, i18n: 'board.locked' });
  const closedNotice = h('div', { class: 'notice notice-closed', role: 'status', hidden: true },
    h('p', { i18n: 'board.closed' }),
    h('p', {}, h('a', { href: '#section-exports', i18n: 'board.closedExports' })));
  const errorBox = h('div', { class: 'notice notice-error', role: 'alert', hidden: true });
  const loading = h('p', { class: 'loading', i18n: 'common.loading' });

  const changeBtn = onChangeIdentity
    ? h('button', { type: 'button', class: 'btn btn-link btn-small change-identity', i18n: 'board.change', on: { click: () => onChangeIdentity() } })
    : null;

  const eyebrow = h('p', { class: 'eyebrow' });
  const renderEyebrow = () => { eyebrow.textContent = facilitator ? t('board.forGroup', { title: ws.title }) : ws.title; };
  renderEyebrow();
  // Sticky and small: which group, the phase timer, whether it is saved.
  const header = h('header', { class: 'board-head' },
    h('div', { class: 'board-head-main' },
      eyebrow,
      h('h1', { class: 'group-name', text: group.name })),
    headerExtras,
    status.el);

  // Project title (meta.title): last writer wins, so a plain input.
  const titleId = uid('ptitle');
  const titleInput = h('input', {
    id: titleId, type: 'text', class: 'project-title', maxlength: 200, autocomplete: 'off',
    i18nPlaceholder: 'board.projectTitlePlaceholder', disabled: true,
  });
  let titleComposing = false;
  const sendTitle = () => { if (!titleComposing) board.setMeta({ title: titleInput.value }); };
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
    const extra = key === 'niveau' ? niveauChoice() : null;
    sectionEls[key] = { textarea, writers };
    return h('section', { class: 'fiche-section', id: `section-${key}`, dataset: { section: key, anchor: key } },
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
    const nm = uid('niveau');
    const legendId = uid('legend');
    const inputs = {};
    const el = h('fieldset', { class: 'niveau-choice' },
      h('legend', { id: legendId, class: 'visually-hidden', i18n: 'niveau.legend' }),
      NIVEAUX.map((n) => {
        const id = uid(n);
        const input = h('input', { type: 'radio', name: nm, id, value: n, disabled: true });
        input.addEventListener('change', () => { if (input.checked) board.setMeta({ niveau: n }); });
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
  const map = createMap(board, { mode: 'edit', group: group.name, workshop: ws.title });
  const mapSection = h('section', { class: 'fiche-section map-section', id: 'section-carte', dataset: { anchor: 'carte' }, 'aria-labelledby': mapHeadId },
    h('div', { class: 'section-head' },
      h('h2', { id: mapHeadId },
        h('span', { class: 'section-num map-num', 'aria-hidden': 'true', text: '◎' }),
        h('span', { i18n: 'map.title' }))),
    h('p', { class: 'section-help', i18n: 'map.sectionHelp' }),
    h('div', { class: 'map-host' }, map.el));
  sectionList.querySelector('#section-ecosysteme').after(mapSection);

  // Nous avons terminé (meta.done).
  const doneBtn = h('button', { type: 'button', class: 'btn btn-done', 'aria-pressed': 'false', disabled: true },
    h('span', { class: 'done-mark', 'aria-hidden': 'true' }), h('span', { class: 'done-text', i18n: 'board.done' }));
  const doneHint = h('p', { class: 'hint done-hint', i18n: 'board.doneHint' });
  doneBtn.addEventListener('click', () => board.setMeta({ done: !board.meta.done }));

  // The room's comments on this fiche.
  const comments = createComments(board, { client: sync.client, author: name });

  // Take the fiche home.
  const exportLinks = h('p', { class: 'export-links' });
  const renderExports = () => {
    const lang = getLang();
    exportLinks.replaceChildren(
      h('a', { class: 'btn btn-secondary btn-small', href: exportURL(board.id, code, 'md', lang), download: '', i18n: 'export.md' }),
      h('a', { class: 'btn btn-secondary btn-small', href: exportURL(board.id, code, 'json', lang), download: '', i18n: 'export.json' }),
      h('a', { class: 'btn btn-secondary btn-small', href: printURL(code, board.id), target: '_blank', rel: 'noopener', i18n: 'export.print' }));
  };
  renderExports();
  const exportsBox = h('section', { class: 'fiche-section exports', id: 'section-exports', 'aria-labelledby': 'exports-title' },
    h('h2', { id: 'exports-title', i18n: 'export.title' }),
    h('p', { class: 'section-help', i18n: 'export.help' }),
    exportLinks);

  const content = h('div', { class: 'fiche', hidden: true },
    lockNotice, closedNotice,
    h('div', { class: 'field project-title-field', dataset: { anchor: '' } },
      h('label', { for: titleId, class: 'project-title-label', i18n: 'board.projectTitle' }),
      titleInput),
    sectionList,
    h('div', { class: 'done-box' }, doneBtn, doneHint),
    comments.el,
    exportsBox);

  root.replaceChildren(h('div', { class: 'board-page' },
    header,
    h('section', { class: 'presence-bar', 'aria-labelledby': 'people-title' },
      h('h2', { id: 'people-title', class: 'presence-title', i18n: 'board.here' }), people, changeBtn),
    errorBox, loading, content));

  const retitle = () => setTitle(group.name, ws.title);
  retitle();

  // ---- rendering from the board's local view ------------------------------

  function renderMeta() {
    if (!board.hasState) return;
    const m = board.meta;
    const ro = !board.canEditFiche;
    lockNotice.hidden = !m.locked || !!m.closed || facilitator;
    closedNotice.hidden = !m.closed;
    exportsBox.classList.toggle('is-highlighted', !!m.closed);
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
    setStatus();
  }

  function renderPeople() {
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

  let pendingShow = null; // "look here" asked before the fiche arrived

  function mount() {
    if (bindings.length || destroyed) return;
    loading.remove();
    content.hidden = false;
    if (pendingShow !== null) {
      const section = pendingShow;
      pendingShow = null;
      requestAnimationFrame(() => show(section));
    }
    for (const key of SECTIONS) {
      const { textarea } = sectionEls[key];
      bindings.push(bindText(textarea, board, key, { onFocus: (p) => board.setPresence(p) }));
    }
    renderMeta();
    renderPeople();
  }

  function setStatus() {
    if (!sync.everOpened && !board.hasState) status.set('connecting');
    else if (board.hasState && board.status() === 'saved' && (board.closed || !board.canWrite) && !facilitator) status.set('readonly');
    else status.set(board.status());
  }

  // Auto-grown textareas change height when the width changes.
  const regrow = throttle(() => { for (const b of bindings) b.grow(); }, 200);
  window.addEventListener('resize', regrow);

  offs.push(
    board.on('status', setStatus),
    board.on('welcome', () => { mount(); errorBox.hidden = true; renderMeta(); }),
    board.on('meta', renderMeta),
    board.on('reset', renderMeta),
    board.on('presence', renderPeople),
    board.on('reject', (r) => {
      if (r.retrying) return;
      if (comments.handleReject(r)) return;
      if (map.handleReject(r)) return; // a map change: the map says why
      const key = r.code === 'locked' ? 'board.rejectLocked' : r.code === 'closed' ? 'board.rejectClosed' : 'board.rejected';
      notify(t(key, { message: r.message || r.code }), { kind: 'error' });
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
  setStatus();

  const offLang = onLangChange(() => {
    retitle();
    renderEyebrow();
    renderPeople();
    renderExports();
    people.setAttribute('aria-label', t('board.peopleLabel'));
  });

  // "Everyone look here" on this group's own fiche.
  function show(section) {
    if (content.hidden) { pendingShow = section || ''; return null; }
    if (section && section !== 'carte' && section !== 'commentaires') comments.setAbout(section);
    return showAnchor(content, section);
  }

  return {
    show,
    destroy() {
      destroyed = true;
      window.removeEventListener('resize', regrow);
      regrow.cancel();
      offLang();
      for (const off of offs) off();
      for (const b of bindings) b.destroy();
      map.destroy();
      comments.destroy();
    },
  };
}
