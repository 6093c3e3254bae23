// The phase timer as every device shows it (participants' phones, the
// control room, the projector), from the control board's meta on the
// server's clock. The facilitator's buttons are in room/timerpanel.js.
//
//   createTimer(sync, control, { variant: 'bar' | 'big' | 'corner' })
//     sync     the Sync (for serverNow)
//     control  the control board's BoardSync (or null: nothing shown)

import { h } from './dom.js';
import { t, onLangChange } from './i18n.js';
import { formatClock, timerState } from './control.js';

export function createTimer(sync, control, { variant = 'bar' } = {}) {
  const label = h('span', { class: 'timer-label' });
  const clock = h('span', { class: 'timer-clock', role: 'timer', 'aria-live': 'off' });
  const state = h('span', { class: 'timer-state' });
  // Said once when it changes (less than a minute, over), not every second.
  const say = h('span', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  const el = h('div', { class: ['timer', `timer-${variant}`], hidden: true, dataset: { status: 'off' } },
    h('span', { class: 'timer-icon', 'aria-hidden': 'true' }), label, clock, state, say);
  let ticker = null;
  let lastSaid = '';
  let destroyed = false;

  function render() {
    if (destroyed) return;
    const st = control && control.hasState ? timerState(control.meta, sync.serverNow()) : { status: 'off' };
    el.hidden = st.status === 'off';
    el.dataset.status = st.status;
    el.classList.toggle('is-soon', !!st.soon);
    el.classList.toggle('is-over', !!st.over);
    if (st.status !== 'off') {
      label.textContent = st.label || t('control.timerTitle');
      clock.textContent = formatClock(st.remaining);
      clock.setAttribute('aria-label', st.over ? t('timer.overBy', { time: formatClock(st.remaining).replace('+', '') }) : t('timer.left', { time: clock.textContent }));
      state.textContent = st.over ? t('timer.over') : st.status === 'paused' ? t('timer.paused') : '';
      state.hidden = !state.textContent;
    }
    const news = st.over ? 'over' : st.soon ? 'soon' : st.status === 'paused' ? 'paused' : '';
    if (news !== lastSaid) {
      lastSaid = news;
      say.textContent = news === 'over' ? t('timer.sayOver') : news === 'soon' ? t('timer.saySoon') : '';
    }
    const ticking = st.status === 'running' || (st.status === 'over' && st.running);
    if (ticking && !ticker) ticker = setInterval(render, 250);
    if (!ticking && ticker) { clearInterval(ticker); ticker = null; }
  }

  const offs = control ? ['meta', 'welcome', 'reset'].map((ev) => control.on(ev, render)) : [];
  offs.push(onLangChange(render));
  render();
  return {
    el,
    refresh: render,
    destroy() {
      destroyed = true;
      if (ticker) clearInterval(ticker);
      for (const off of offs) off();
    },
  };
}
