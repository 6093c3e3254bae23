// Binds a <textarea> (or <input>) to one section of a BoardSync.
//
// The binding keeps `shadow`, the text it last agreed on with the board's
// local view. Invariant outside composition: field.value === shadow ===
// board.text(section).
//   - input: diff the field against shadow (diffOp, caret as hint) and submit.
//   - remote op: apply it to the field, carrying the selection through
//     transformCursor.
//   - IME / dead keys: between compositionstart and compositionend nothing is
//     submitted (the text is not final) and remote ops are composed into
//     `deferred` instead of touching the field; at compositionend both sides
//     are transformed against each other and reconciled.

import { apply, compose, diffOp, transform, transformCursor } from './ot.js';

export function bindText(field, board, section, { onChange = () => {}, onFocus = () => {}, autoGrow = true } = {}) {
  let shadow = board.text(section);
  let composing = false;
  let deferred = null; // remote changes not yet shown, applying to shadow
  const doc = field.ownerDocument;

  const focused = () => doc.activeElement === field;

  function grow() {
    if (!autoGrow || field.tagName !== 'TEXTAREA') return;
    // CSSOM (not a style attribute), so the CSP allows it.
    field.style.height = 'auto';
    field.style.height = `${field.scrollHeight + 2}px`;
  }

  function setField(next, op) {
    const hadFocus = focused();
    const { selectionStart, selectionEnd, selectionDirection } = field;
    const scrollTop = field.scrollTop;
    field.value = next;
    if (hadFocus && op) {
      const a = transformCursor(selectionStart, op, false);
      const b = transformCursor(selectionEnd, op, false);
      try { field.setSelectionRange(a, b, selectionDirection || 'none'); } catch { /* type without selection */ }
      field.scrollTop = scrollTop;
    }
    grow();
  }

  // The user's edit: field.value against shadow.
  function commitLocal() {
    const value = field.value;
    if (deferred) {
      const userOp = diffOp(shadow, value, field.selectionEnd);
      const rem = deferred;
      deferred = null;
      const forBoard = transform(userOp, rem, 'right');
      const forField = transform(rem, userOp, 'left');
      let next = apply(value, forField);
      if (forBoard.length && !board.submitText(section, forBoard)) next = board.text(section);
      shadow = next;
      if (next !== value) setField(next, forField);
      onChange(shadow);
      return;
    }
    if (value === shadow) return;
    const op = diffOp(shadow, value, field.selectionEnd);
    shadow = value;
    if (!board.submitText(section, op)) {
      // Read-only or not loaded: put the board's text back.
      shadow = board.text(section);
      setField(shadow, null);
    }
    grow();
    onChange(shadow);
  }

  // A remote op that applies to shadow (plus what is already deferred).
  function remote(op) {
    deferred = deferred ? compose(deferred, op) : op;
    if (!composing) commitLocal();
  }

  const onInput = (ev) => {
    if (composing || (ev && ev.isComposing)) return;
    commitLocal();
    presence();
  };
  const onCompositionStart = () => { composing = true; };
  const onCompositionEnd = () => {
    composing = false;
    commitLocal(); // Chrome sends no input event after compositionend
    presence();
  };
  const presence = () => onFocus({ focus: section, cursor: field.selectionStart });
  const onBlur = () => {
    if (composing) { composing = false; commitLocal(); }
    onFocus({ focus: null, cursor: null });
  };

  const listeners = [
    ['input', onInput], ['compositionstart', onCompositionStart], ['compositionend', onCompositionEnd],
    ['focus', presence], ['click', presence], ['keyup', presence], ['blur', onBlur],
  ];
  for (const [type, fn] of listeners) field.addEventListener(type, fn);

  const offRemote = board.on('remote', (ev) => { if (ev.section === section) remote(ev.op); });
  const offReset = board.on('reset', () => {
    // The board's local text was replaced (snapshot, refused change): move
    // to it as if it were a remote edit, so the caret stays sensible.
    const target = board.text(section);
    const from = deferred ? apply(shadow, deferred) : shadow;
    if (target === from) return;
    remote(diffOp(from, target));
  });

  field.value = shadow;
  grow();
  // Fonts and layout may settle after the first paint.
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(grow);

  return {
    get text() { return shadow; },
    get composing() { return composing; },
    grow,
    destroy() {
      offRemote();
      offReset();
      for (const [type, fn] of listeners) field.removeEventListener(type, fn);
    },
  };
}
