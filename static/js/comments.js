// Comments and improvement suggestions ("pistes d'amélioration") on a
// group's board, live: written from the participants' phones during the
// restitution, read by the group, the facilitator and the projector.
//
//   createComments(board, { client, author, compose, large })
//     board    the group's BoardSync
//     client   this device's client id (its own comments can be changed)
//     author   the name written with a new comment
//     compose  show the form to write one
//     large    the projector's type
//
// Elements `comment` {text ≤ 1000, author, kind commentaire|piste, section};
// user text only through textContent.

import { h, uid } from './dom.js';
import { t, tn, onLangChange } from './i18n.js';
import { notify } from './ui.js';
import { SECTIONS } from './batch.js';
import {
  COMMENT_MAX, COMMENT_SECTIONS, canChangeComment, checkComment, commentId, commentList,
} from './control.js';

export function aboutLabel(section) {
  if (section === 'carte') return t('map.title');
  if (SECTIONS.includes(section)) return t(`section.${section}.title`);
  return t('comments.aboutAll');
}

export function createComments(board, { client, author = '', compose = true, large = false, anchor = true, heading = true } = {}) {
  const offs = [];
  const mine = new Set(); // ids this page created or changed (for rejects)
  let editing = null; // { id, text }
  let confirming = null; // id
  let lastSig = '';

  const headId = uid('cmhead');
  const count = h('span', { class: 'comments-count' });
  const listHost = h('div', { class: 'comments-lists' });

  // ---- the form ------------------------------------------------------------
  let form = null;
  let field = null;
  let closedNote = null;
  if (compose) {
    const fieldId = uid('cmtext');
    const aboutId = uid('cmabout');
    const counterId = uid('cmcount');
    const kindName = uid('cmkind');
    field = h('textarea', {
      id: fieldId, class: 'comment-text', rows: 3, maxlength: COMMENT_MAX, required: true,
      'aria-describedby': counterId, i18nPlaceholder: 'comments.placeholder',
    });
    const counter = h('span', { id: counterId, class: 'comment-counter', 'aria-live': 'off' });
    const updateCounter = () => { counter.textContent = t('comments.counter', { n: field.value.length, max: COMMENT_MAX }); };
    field.addEventListener('input', updateCounter);
    const about = h('select', { id: aboutId, name: 'about' },
      COMMENT_SECTIONS.map((s) => h('option', { value: s, text: aboutLabel(s) })));
    const kinds = h('fieldset', { class: 'comment-kinds' },
      h('legend', { class: 'visually-hidden', i18n: 'comments.kindLegend' }),
      ['commentaire', 'piste'].map((k, i) => {
        const id = uid(k);
        return h('span', { class: 'comment-kind-choice' },
          h('input', { type: 'radio', name: kindName, id, value: k, checked: i === 0 }),
          h('label', { for: id, i18n: k === 'piste' ? 'comments.kindPiste' : 'comments.kindComment' }));
      }));
    const error = h('p', { class: 'form-error', role: 'alert' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', i18n: 'comments.send' });
    // Said next to the button, not in a notice over the page (a phone's
    // screen is small and the list is right there).
    const sent = h('p', { class: 'comment-sent', role: 'status' });
    let sentTimer = null;
    closedNote = h('p', { class: 'hint comments-closed', hidden: true, i18n: 'comments.closed' });
    form = h('form', { class: 'comment-form', novalidate: true, 'aria-labelledby': headId },
      kinds,
      h('div', { class: 'field comment-about' }, h('label', { for: aboutId, i18n: 'comments.aboutLabel' }), about),
      h('div', { class: 'field' },
        h('label', { for: fieldId, class: 'visually-hidden', i18n: 'comments.textLabel' }), field,
        counter),
      error,
      h('div', { class: 'comment-form-actions' }, sent, submit));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      error.textContent = '';
      sent.textContent = '';
      const checked = checkComment(field.value);
      if (checked.error) { error.textContent = t(checked.error, { max: COMMENT_MAX }); field.focus(); return; }
      const kind = form.querySelector(`input[name="${kindName}"]:checked`)?.value === 'piste' ? 'piste' : 'commentaire';
      const id = commentId(board.sync.serverNow());
      const props = { text: checked.text, kind, section: about.value };
      const name = String(author || '').trim().slice(0, 80);
      if (name) props.author = name;
      mine.add(id);
      if (!board.changeElements([{ kind: 'create', id, elem: 'comment', props }])) {
        error.textContent = t('comments.errNotSent');
        return;
      }
      field.value = '';
      updateCounter();
      sent.textContent = `✓ ${t(kind === 'piste' ? 'comments.sentPiste' : 'comments.sentComment')}`;
      clearTimeout(sentTimer);
      sentTimer = setTimeout(() => { sent.textContent = ''; }, 5000);
    });
    updateCounter();
    offs.push(onLangChange(() => {
      updateCounter();
      for (const o of about.options) o.textContent = aboutLabel(o.value);
    }));
    // What the comment is about follows "everyone look here" on a section.
    form.setAbout = (section) => { if (COMMENT_SECTIONS.includes(section)) about.value = section; };
  }

  const help = compose ? h('p', { class: 'section-help', i18n: 'comments.help' }) : null;
  const el = h('section', {
    class: ['comments', large && 'comments-large', !heading && 'comments-bare'], id: anchor ? 'section-commentaires' : null,
    dataset: anchor ? { anchor: 'commentaires' } : null, 'aria-labelledby': heading ? headId : null, 'aria-label': heading ? null : t('comments.title'),
  },
    heading ? h('div', { class: 'section-head' },
      h('h2', { id: headId, class: 'comments-title' },
        h('span', { class: 'section-num comments-num', 'aria-hidden': 'true', text: '✦' }),
        h('span', { i18n: 'comments.title' })),
      count) : null,
    help,
    form, closedNote,
    listHost);

  // ---- the lists ------------------------------------------------------------
  function itemView(c) {
    const can = canChangeComment(c, { client, role: board.role }) && board.canComment;
    const meta = h('p', { class: 'comment-meta' },
      h('span', { class: 'comment-author', text: c.author || t('board.anonymous') }),
      h('span', { class: 'comment-about-tag', text: aboutLabel(c.section) }));
    let body;
    if (editing && editing.id === c.id && can) {
      const ta = h('textarea', { class: 'comment-text', rows: 3, maxlength: COMMENT_MAX, value: editing.text, i18nAriaLabel: 'comments.editLabel' });
      ta.addEventListener('input', () => { editing.text = ta.value; });
      const err = h('p', { class: 'form-error', role: 'alert' });
      const save = h('button', { type: 'button', class: 'btn btn-small btn-primary', i18n: 'map.save' });
      const cancel = h('button', { type: 'button', class: 'btn btn-small btn-secondary', i18n: 'map.cancel' });
      save.addEventListener('click', () => {
        const checked = checkComment(ta.value);
        if (checked.error) { err.textContent = t(checked.error, { max: COMMENT_MAX }); return; }
        mine.add(c.id);
        if (checked.text !== c.text && !board.changeElements([{ kind: 'set', id: c.id, props: { text: checked.text } }])) {
          err.textContent = t('comments.errNotSent');
          return;
        }
        editing = null;
        render(true);
      });
      cancel.addEventListener('click', () => { editing = null; render(true); });
      body = [ta, err, h('div', { class: 'comment-actions' }, save, cancel)];
      requestAnimationFrame(() => { if (ta.isConnected && document.activeElement !== ta) ta.focus({ preventScroll: true }); });
    } else if (confirming === c.id && can) {
      const yes = h('button', { type: 'button', class: 'btn btn-small btn-danger-solid', i18n: 'map.deleteConfirm' });
      const no = h('button', { type: 'button', class: 'btn btn-small btn-secondary', i18n: 'map.cancel' });
      yes.addEventListener('click', () => {
        mine.add(c.id);
        board.changeElements([{ kind: 'delete', id: c.id }]);
        confirming = null;
        render(true);
      });
      no.addEventListener('click', () => { confirming = null; render(true); });
      body = [h('p', { class: 'comment-text-view', text: c.text }),
        h('div', { class: 'comment-actions comment-confirm', role: 'group' }, h('span', { i18n: 'comments.deleteQ' }), yes, no)];
      requestAnimationFrame(() => { if (yes.isConnected) yes.focus({ preventScroll: true }); });
    } else {
      body = [h('p', { class: 'comment-text-view', text: c.text }),
        can ? h('div', { class: 'comment-actions' },
          h('button', { type: 'button', class: 'btn btn-small btn-secondary', i18n: 'map.edit', on: { click: () => { editing = { id: c.id, text: c.text }; confirming = null; render(true); } } }),
          h('button', { type: 'button', class: 'btn btn-small btn-secondary btn-danger', i18n: 'map.delete', on: { click: () => { confirming = c.id; editing = null; render(true); } } })) : null];
    }
    return h('li', { class: ['comment', `comment-${c.kind}`, c.by && c.by === client && 'is-mine'], dataset: { id: c.id } }, body, meta);
  }

  function render(force = false) {
    if (!board.hasState) return;
    const list = commentList(board.elements);
    if (editing && !list.some((c) => c.id === editing.id)) editing = null;
    if (confirming && !list.some((c) => c.id === confirming)) confirming = null;
    const sig = JSON.stringify([list, board.canComment, board.role, editing && editing.id, confirming]);
    if (form) {
      const canWrite = board.canComment;
      form.hidden = !canWrite;
      help.hidden = !canWrite;
      if (closedNote) closedNote.hidden = canWrite || !board.closed;
    }
    if (!force && sig === lastSig) return;
    lastSig = sig;
    const pistes = list.filter((c) => c.kind === 'piste');
    const others = list.filter((c) => c.kind !== 'piste');
    count.textContent = `${tn('comments.nPistes', pistes.length)} · ${tn('comments.nComments', others.length)}`;
    const block = (titleKey, items, emptyKey, cls) => h('section', { class: ['comments-block', cls] },
      h('h3', { class: 'comments-block-title', i18n: titleKey }),
      items.length ? h('ol', { class: 'comment-list' }, items.map(itemView)) : h('p', { class: 'hint comments-empty', i18n: emptyKey }));
    listHost.replaceChildren(
      block('comments.pistesTitle', pistes, 'comments.noPistes', 'comments-pistes'),
      block('comments.commentsTitle', others, 'comments.noComments', 'comments-others'));
  }

  // A refused submit about comments only: say it here (the page says the rest).
  function handleReject(r) {
    if (!r || r.retrying || !Array.isArray(r.changes) || !r.changes.length) return false;
    const ours = r.changes.every((c) => (c.kind === 'create' && c.elem === 'comment') || ((c.kind === 'set' || c.kind === 'delete') && mine.has(c.id)));
    if (!ours) return false;
    notify(t(r.code === 'closed' ? 'comments.rejectClosed' : 'comments.rejected', { message: r.message || r.code }), { kind: 'error' });
    render(true);
    return true;
  }

  for (const ev of ['elements', 'reset', 'welcome', 'meta']) offs.push(board.on(ev, () => render()));
  offs.push(onLangChange(() => render(true)));
  render(true);

  return {
    el,
    handleReject,
    setAbout(section) { if (form) form.setAbout(section); },
    focusField() { if (field && !form.hidden) field.focus({ preventScroll: true }); },
    destroy() { for (const off of offs) off(); },
  };
}
