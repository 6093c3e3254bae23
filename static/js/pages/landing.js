// "/": create a workshop, or join one with its code.

import { h, uid } from '../dom.js';
import { t, onLangChange } from '../i18n.js';
import {
  createWorkshop, getWorkshop, rememberWorkshop, savedWorkshops, forgetWorkshop,
  qrURL, joinURL, facilitatorURL, wallURL, linkField, setTitle, bigCode, groupRow,
} from '../ui.js';
import { normalizeCode } from '../util.js';

const DEFAULT_GROUPS = 4;

export function landing(root) {
  const createPanel = h('section', { class: 'panel panel-create', 'aria-labelledby': 'create-title' });
  const joinPanel = h('section', { class: 'panel panel-join', 'aria-labelledby': 'join-title' });
  const savedPanel = h('section', { class: 'panel panel-saved', 'aria-labelledby': 'saved-title' });

  root.replaceChildren(
    h('div', { class: 'hero' },
      h('h1', { class: 'hero-title', i18n: 'landing.heading' }),
      h('p', { class: 'hero-lead', i18n: 'landing.lead' })),
    h('div', { class: 'landing-grid' }, joinPanel, createPanel),
    savedPanel,
  );
  const retitle = () => setTitle(t('landing.pageTitle'));
  retitle();
  const offLang = onLangChange(() => { retitle(); renderSaved(); });

  // ---- Créer un atelier -----------------------------------------------------

  function renderCreateForm() {
    const titleId = uid('title');
    const titleInput = h('input', {
      id: titleId, name: 'title', type: 'text', required: true, maxlength: 200, autocomplete: 'off',
      i18nPlaceholder: 'landing.titlePlaceholder',
    });
    const list = h('ol', { class: 'group-list' });
    const error = h('p', { class: 'form-error', role: 'alert' });

    const renumber = () => {
      const rows = [...list.children];
      rows.forEach((row, i) => {
        const input = row.querySelector('input');
        const btn = row.querySelector('button');
        input.dataset.n = String(i + 1);
        input.setAttribute('aria-label', t('landing.groupName', { n: i + 1 }));
        btn.setAttribute('aria-label', t('landing.removeGroup', { name: input.value || t('landing.groupDefault', { n: i + 1 }) }));
        btn.disabled = rows.length <= 1;
      });
    };
    const addRow = (value) => groupRow(list, renumber, { value });
    for (let i = 1; i <= DEFAULT_GROUPS; i++) addRow(t('landing.groupDefault', { n: i }));

    const add = h('button', { type: 'button', class: 'btn btn-secondary', i18n: 'landing.addGroup' });
    add.addEventListener('click', () => addRow(t('landing.groupDefault', { n: list.children.length + 1 })).select());

    const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', i18n: 'landing.create' });
    const form = h('form', { class: 'stack', novalidate: true },
      h('div', { class: 'field' },
        h('label', { for: titleId, i18n: 'landing.titleLabel' }),
        titleInput),
      h('fieldset', { class: 'field' },
        h('legend', { i18n: 'landing.groupsLegend' }),
        h('p', { class: 'hint', i18n: 'landing.groupsHint' }),
        list,
        add),
      error,
      submit);

    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      error.textContent = '';
      const title = titleInput.value.trim() || t('landing.titlePlaceholder');
      const groups = [...list.querySelectorAll('input')].map((i) => i.value.trim()).filter(Boolean);
      if (!groups.length) { error.textContent = t('landing.errNoGroup'); return; }
      if (new Set(groups).size !== groups.length) { error.textContent = t('landing.errDupGroup'); return; }
      submit.disabled = true;
      submit.textContent = t('landing.creating');
      try {
        const ws = await createWorkshop(title, groups);
        rememberWorkshop({ code: ws.code, key: ws.facilitatorKey, title });
        renderCreated(ws, title);
        renderSaved();
      } catch (err) {
        error.textContent = err.code === 'network' ? t('common.errNetwork') : t('common.errServer', { message: err.message });
        submit.disabled = false;
        submit.textContent = t('landing.create');
      }
    });

    createPanel.replaceChildren(h('h2', { id: 'create-title', i18n: 'landing.createTitle' }), h('p', { class: 'hint', i18n: 'landing.createLead' }), form);
  }

  function renderCreated(ws, title) {
    const code = ws.code;
    const facil = facilitatorURL(code, ws.facilitatorKey);
    const heading = h('h2', { id: 'create-title', tabindex: '-1', i18n: 'landing.createdTitle' });
    createPanel.replaceChildren(
      heading,
      h('p', { class: 'created-workshop', text: title }),
      h('div', { class: 'join-box' },
        h('div', { class: 'join-box-text' },
          h('p', { class: 'label', i18n: 'landing.codeLabel' }),
          bigCode(code),
          linkField(joinURL(code), 'landing.participantsLink')),
        h('img', { class: 'qr', src: qrURL(code), width: 180, height: 180, i18nAlt: 'common.qrAlt' })),
      h('div', { class: 'secret-box' },
        h('h3', { i18n: 'landing.facilitatorTitle' }),
        h('p', { class: 'warning', i18n: 'landing.facilitatorWarning' }),
        linkField(facil, 'landing.facilitatorLink', { secret: true })),
      h('div', { class: 'actions' },
        h('a', { class: 'btn btn-primary', href: facil, i18n: 'landing.openWall' }),
        h('a', { class: 'btn btn-secondary', href: wallURL(code), i18n: 'landing.openProjector' }),
        h('button', { type: 'button', class: 'btn btn-link', i18n: 'landing.another', on: { click: () => { renderCreateForm(); } } })),
    );
    heading.focus();
  }

  // ---- Rejoindre un atelier ---------------------------------------------------

  function renderJoin() {
    const id = uid('code');
    const input = h('input', {
      id, name: 'code', type: 'text', required: true, autocomplete: 'off', autocapitalize: 'characters',
      spellcheck: 'false', class: 'code-input', i18nPlaceholder: 'landing.codePlaceholder', maxlength: 40,
    });
    const error = h('p', { class: 'form-error', role: 'alert' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', i18n: 'landing.join' });
    const form = h('form', { class: 'stack', novalidate: true },
      h('div', { class: 'field' }, h('label', { for: id, i18n: 'landing.codeField' }), input),
      error, submit);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const code = normalizeCode(input.value);
      error.textContent = '';
      if (!code) { error.textContent = t('landing.errNoCode'); input.focus(); return; }
      submit.disabled = true;
      try {
        await getWorkshop(code);
        location.assign(`/j/${encodeURIComponent(code)}`);
      } catch (err) {
        submit.disabled = false;
        if (err.status === 404) error.textContent = t('landing.errUnknownCode', { code });
        else if (err.code === 'network') error.textContent = t('common.errNetwork');
        else location.assign(`/j/${encodeURIComponent(code)}`); // let the page explain
      }
    });
    joinPanel.replaceChildren(
      h('h2', { id: 'join-title', i18n: 'landing.joinTitle' }),
      h('p', { class: 'hint', i18n: 'landing.joinLead' }),
      form);
  }

  // ---- Ateliers enregistrés sur ce navigateur --------------------------------

  function renderSaved() {
    const list = savedWorkshops();
    if (!list.length) { savedPanel.hidden = true; savedPanel.replaceChildren(); return; }
    savedPanel.hidden = false;
    savedPanel.replaceChildren(
      h('h2', { id: 'saved-title', i18n: 'landing.savedTitle' }),
      h('p', { class: 'hint', i18n: 'landing.savedHint' }),
      h('ul', { class: 'saved-list' }, list.map((w) => h('li', { class: 'saved-item' },
        h('span', { class: 'saved-name', text: w.title || w.code }),
        h('span', { class: 'saved-code', text: w.code }),
        h('span', { class: 'saved-actions' },
          h('a', { class: 'btn btn-small', href: facilitatorURL(w.code, w.key), i18n: 'landing.savedOpen' }),
          h('a', { class: 'btn btn-small btn-secondary', href: wallURL(w.code), i18n: 'landing.savedProject' }),
          h('button', {
            type: 'button', class: 'btn btn-small btn-link', i18n: 'landing.savedForget',
            on: { click: () => { if (confirm(t('landing.savedForgetConfirm', { title: w.title || w.code }))) { forgetWorkshop(w.code); renderSaved(); } } },
          }))))));
  }

  renderCreateForm();
  renderJoin();
  renderSaved();
  return () => offLang();
}
