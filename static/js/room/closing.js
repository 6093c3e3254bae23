// After the workshop: the whole workshop in one archive, close it
// (read-only for everyone; participants become viewers) or open it again,
// and delete it with all its data, after typing its code.

import { h, uid } from '../dom.js';
import { t, onLangChange } from '../i18n.js';
import { archiveURL, closeWorkshop, deleteWorkshop, notify } from '../ui.js';
import { normalizeCode } from '../util.js';

export function createClosing({ ws, code, key, onClosed, onDeleted }) {
  let closed = !!ws.closed;
  let confirmLabel = null;
  const archive = h('a', { class: 'btn btn-primary archive-link', href: archiveURL(code, key), download: '', i18n: 'control.archive' });
  const closeBtn = h('button', { type: 'button', class: 'btn btn-secondary close-workshop' });
  const closeHelp = h('p', { class: 'hint' });
  const status = h('p', { class: 'form-ok', role: 'status' });
  const render = () => {
    if (confirmLabel) confirmLabel.textContent = t('control.deleteConfirm', { code });
    closeBtn.textContent = t(closed ? 'control.reopen' : 'control.close');
    closeBtn.dataset.closed = String(closed);
    closeHelp.textContent = t(closed ? 'control.reopenHelp' : 'control.closeHelp');
  };
  closeBtn.addEventListener('click', async () => {
    closeBtn.disabled = true;
    status.textContent = '';
    try {
      const res = await closeWorkshop(code, key, !closed);
      closed = res && typeof res.closed === 'boolean' ? res.closed : !closed;
      render();
      onClosed(closed);
      status.textContent = t(closed ? 'control.closedDone' : 'control.reopenedDone');
    } catch (err) {
      notify(t('common.errServer', { message: err.message }), { kind: 'error' });
    } finally {
      closeBtn.disabled = false;
    }
  });

  const confirmId = uid('delcode');
  const confirm = h('input', { id: confirmId, type: 'text', class: 'code-input delete-confirm', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'characters' });
  const del = h('button', { type: 'button', class: 'btn btn-danger-solid delete-workshop', disabled: true, i18n: 'control.delete' });
  const delError = h('p', { class: 'form-error', role: 'alert' });
  confirm.addEventListener('input', () => { del.disabled = normalizeCode(confirm.value) !== code; });
  del.addEventListener('click', async () => {
    if (normalizeCode(confirm.value) !== code) return;
    del.disabled = true;
    delError.textContent = '';
    try {
      await deleteWorkshop(code, key);
      onDeleted();
    } catch (err) {
      del.disabled = false;
      delError.textContent = err.code === 'network' ? t('common.errNetwork') : t('common.errServer', { message: err.message });
    }
  });

  confirmLabel = h('label', { for: confirmId });
  render();
  const el = h('section', { class: 'panel control-panel closing-panel', id: 'panel-after', 'aria-labelledby': 'after-title' },
    h('h2', { id: 'after-title', i18n: 'control.afterTitle' }),
    h('div', { class: 'closing-part' },
      h('h3', { i18n: 'control.archiveTitle' }),
      h('p', { class: 'hint', i18n: 'control.archiveHelp' }),
      archive),
    h('div', { class: 'closing-part' },
      h('h3', { i18n: 'control.closeTitle' }),
      closeHelp, closeBtn, status),
    h('div', { class: 'closing-part danger-zone' },
      h('h3', { i18n: 'control.deleteTitle' }),
      h('p', { class: 'warning', i18n: 'control.deleteWarning' }),
      confirmLabel,
      h('div', { class: 'link-row' }, confirm, del),
      delError));
  const off = onLangChange(render);
  return {
    el,
    setClosed(v) { closed = !!v; render(); },
    destroy() { off(); },
  };
}
