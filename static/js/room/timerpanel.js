// The facilitator's phase timer: start it with a label and a duration,
// pause and resume, add time, reset, stop. Every device shows it
// (timer.js) from the control board's meta, on the server's clock.

import { h, uid } from '../dom.js';
import { t, onLangChange } from '../i18n.js';
import { createTimer } from '../timer.js';
import {
  MINUTE, timerClearProps, timerExtendProps, timerPauseProps, timerResetProps, timerResumeProps, timerStartProps, timerState,
} from '../control.js';

const PRESETS = [5, 10, 15, 20, 30, 45];

export function createTimerPanel(sync, control) {
  const big = createTimer(sync, control, { variant: 'big' });
  const none = h('p', { class: 'hint timer-none', i18n: 'control.timerNone' });
  const labelId = uid('tlabel');
  const minId = uid('tmin');
  const labelInput = h('input', { id: labelId, type: 'text', maxlength: 80, autocomplete: 'off', i18nPlaceholder: 'control.timerLabelPlaceholder' });
  const minutes = h('input', { id: minId, type: 'number', min: 1, max: 1440, step: 1, value: '30', inputmode: 'numeric', class: 'timer-minutes' });
  const start = h('button', { type: 'submit', class: 'btn btn-primary timer-start', i18n: 'control.timerStart' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const presets = h('p', { class: 'timer-presets' }, PRESETS.map((n) => h('button', {
    type: 'button', class: 'btn btn-small btn-secondary chip', text: t('control.minutes', { n }),
    on: { click: () => { minutes.value = String(n); } },
  })));
  const form = h('form', { class: 'timer-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: labelId, i18n: 'control.timerLabel' }), labelInput),
    h('div', { class: 'field timer-duration' }, h('label', { for: minId, i18n: 'control.timerMinutes' }), minutes),
    presets, error, start);

  const act = (fn) => () => {
    if (!control || !control.hasState) return;
    control.setMeta(fn(control.meta, sync.serverNow()));
  };
  const pause = h('button', { type: 'button', class: 'btn btn-secondary timer-pause', i18n: 'control.timerPause', on: { click: act(timerPauseProps) } });
  const resume = h('button', { type: 'button', class: 'btn btn-secondary timer-resume', i18n: 'control.timerResume', on: { click: act(timerResumeProps) } });
  const plus1 = h('button', { type: 'button', class: 'btn btn-secondary timer-plus1', i18n: 'control.timerPlus1', on: { click: act((m, now) => timerExtendProps(m, now, MINUTE)) } });
  const plus5 = h('button', { type: 'button', class: 'btn btn-secondary timer-plus5', i18n: 'control.timerPlus5', on: { click: act((m, now) => timerExtendProps(m, now, 5 * MINUTE)) } });
  const reset = h('button', { type: 'button', class: 'btn btn-secondary timer-reset', i18n: 'control.timerReset', on: { click: act((m) => timerResetProps(m)) } });
  const stop = h('button', { type: 'button', class: 'btn btn-secondary btn-danger timer-stop', i18n: 'control.timerStop', on: { click: act(() => timerClearProps()) } });
  const buttons = h('div', { class: 'timer-buttons' }, pause, resume, plus1, plus5, reset, stop);

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    error.textContent = '';
    const n = Number(minutes.value);
    if (!(n > 0 && n <= 1440)) { error.textContent = t('control.timerBadMinutes'); minutes.focus(); return; }
    if (!control || !control.hasState) return;
    control.setMeta(timerStartProps({ label: labelInput.value.trim(), durationMs: Math.round(n * MINUTE), now: sync.serverNow() }));
  });

  const el = h('section', { class: 'panel control-panel timer-panel', id: 'panel-timer', 'aria-labelledby': 'timer-title' },
    h('h2', { id: 'timer-title', i18n: 'control.timerTitle' }),
    big.el, none, buttons, form);

  function render() {
    const st = control && control.hasState ? timerState(control.meta, sync.serverNow()) : { status: 'off' };
    const on = st.status !== 'off';
    const can = !!(control && control.hasState && control.canWrite);
    none.hidden = on;
    buttons.hidden = !on;
    pause.hidden = !st.running;
    resume.hidden = st.running || st.status === 'over';
    for (const b of [pause, resume, plus1, plus5, reset, stop, start]) b.disabled = !can;
    if (on && !labelInput.value && document.activeElement !== labelInput) labelInput.value = st.label;
    start.textContent = t(on ? 'control.timerRestart' : 'control.timerStart');
  }
  const offs = control ? ['meta', 'welcome', 'reset'].map((ev) => control.on(ev, render)) : [];
  offs.push(onLangChange(() => {
    [...presets.children].forEach((b, i) => { b.textContent = t('control.minutes', { n: PRESETS[i] }); });
    render();
  }));
  render();
  return { el, destroy() { big.destroy(); for (const off of offs) off(); } };
}
