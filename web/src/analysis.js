// The control room's MDM pages: energy accounting from feeder to DT (worst losses first),
// transformer loading, reliability indices, theft findings of a day, and theft cases followed from
// opening to their outcome.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { call } from './api.js';
import { ist, kwh, t } from './i18n.js';

// Yesterday's IST date, YYYY-MM-DD (the default day of every analysis).
export function istYesterday() {
  return new Date(Date.now() + 5.5 * 3600000 - 86400000).toISOString().slice(0, 10);
}
function istDaysAgo(n) {
  return new Date(Date.now() + 5.5 * 3600000 - n * 86400000).toISOString().slice(0, 10);
}
const pct = (x) => `${(Math.round(x * 100) / 100).toFixed(2)} %`;

function useAnswer(path) {
  const [data, setData] = useState(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let gone = false;
    setBusy(true);
    setError('');
    call('GET', path)
      .then((d) => !gone && setData(d))
      .catch((e) => !gone && (setData(null), setError(e.message)))
      .finally(() => !gone && setBusy(false));
    return () => {
      gone = true;
    };
  }, [path]);
  return { data, error, busy };
}

function DayPicker({ day, onDay, id }) {
  return html`<form class="inline" onSubmit=${(e) => e.preventDefault()}>
    <label for=${id}>${t('theDay')}</label>
    <input id=${id} type="date" value=${day} max=${istYesterday()} onChange=${(e) => e.target.value && onDay(e.target.value)} />
  </form>`;
}

function Status({ a }) {
  return html`${a.busy && html`<p class="note" role="status">${t('computing')}</p>`}
    ${a.error && html`<p class="error" role="alert">${a.error}</p>`}`;
}

// Energy accounting of a day: the area, each feeder, and the DTs by LT loss, worst first;
// figures over incomplete data are marked and ranked last.
export function EnergyAudit() {
  const [day, setDay] = useState(istYesterday());
  const a = useAnswer(`/api/v1/energy-audit?from=${day}&to=${day}`);
  const r = a.data;
  const dts = r ? r.dts.slice().sort((x, y) => (y.data.complete - x.data.complete) || (y.lt_loss_percent - x.lt_loss_percent)) : [];
  const mark = (d) => (d.complete ? '' : html` <span class="warn">(${t('incomplete')} ${d.completeness_percent.toFixed(1)} %)</span>`);
  return html`<section><h2>${t('energyAudit')}</h2>
    <${DayPicker} day=${day} onDay=${setDay} id="audit-day" />
    <${Status} a=${a} />
    ${r && html`<div class="counts">
      <div><span class="big">${kwh(r.area.input_wh)}</span>${t('inputKwh')}</div>
      <div><span class="big">${kwh(r.area.consumers_wh)}</span>${t('billedKwh')}</div>
      <div><span class="big bad" data-testid="area-loss">${pct(r.area.loss_percent)}</span>${t('loss')}${mark(r.area.data)}</div>
    </div>
    <div class="scroll" tabindex="0" role="region" aria-label=${t('feeders')}><table>
      <caption>${t('feeders')}</caption>
      <thead><tr><th scope="col">${t('feeder')}</th><th scope="col">${t('inputKwh')}</th><th scope="col">${t('dtsKwh')}</th>
        <th scope="col">${t('billedKwh')}</th><th scope="col">${t('htLoss')}</th><th scope="col">${t('totalLoss')}</th></tr></thead>
      <tbody>${r.feeders.map((f) => html`<tr key=${f.feeder}><th scope="row">${f.feeder}</th>
        <td>${f.feeder_meter ? kwh(f.feeder_wh) : t('noMeter')}</td><td>${kwh(f.dts_wh)}</td><td>${kwh(f.consumers_wh)}</td>
        <td>${pct(f.ht_loss_percent)}</td><td>${pct(f.total_loss_percent)}${mark(f.data)}</td></tr>`)}</tbody>
    </table></div>
    <div class="scroll" tabindex="0" role="region" aria-label=${t('dtsByLoss')}><table data-testid="audit-dts">
      <caption>${t('dtsByLoss')}</caption>
      <thead><tr><th scope="col">${t('dt')}</th><th scope="col">${t('feeder')}</th><th scope="col">${t('dtKwh')}</th>
        <th scope="col">${t('billedKwh')}</th><th scope="col">${t('ltLoss')}</th><th scope="col">${t('consumers')}</th></tr></thead>
      <tbody>${dts.map((d) => html`<tr key=${d.dt}><th scope="row">${d.dt}</th><td>${d.feeder}</td>
        <td>${d.dt_meter ? kwh(d.dt_wh) : t('noMeter')}</td><td>${kwh(d.consumers_wh)}</td>
        <td class=${d.lt_loss_percent >= 10 ? 'bad' : ''}>${pct(d.lt_loss_percent)} (${kwh(d.lt_loss_wh)} ${t('kwh')})${mark(d.data)}</td>
        <td>${d.consumers}</td></tr>`)}</tbody>
    </table></div>`}
  </section>`;
}

// Area load control: the active actions with how far their commands have got; an operator
// limits a transformer's consumers for a while (essential consumers are left alone) or restores
// an action early.
function LoadActions({ session, dts }) {
  const [items, setItems] = useState([]);
  const [form, setForm] = useState({ target: '', limit_w: '1000', minutes: '60', reason: '' });
  const [error, setError] = useState('');
  const mayAct = (session.roles || '').split(',').includes('operator');
  const load = () => call('GET', '/api/v1/load-actions').then((r) => setItems(r.items)).catch(() => {});
  useEffect(() => {
    load();
    const timer = setInterval(load, 5000);
    return () => clearInterval(timer);
  }, []);
  const limit = async (e) => {
    e.preventDefault();
    setError('');
    try {
      await call('POST', '/api/v1/load-actions', {
        target: form.target, limit_w: Number(form.limit_w), minutes: Number(form.minutes), reason: form.reason });
      setForm({ ...form, reason: '' });
      load();
    } catch (err) {
      setError(err.message);
    }
  };
  const restore = async (id) => {
    try {
      await call('POST', `/api/v1/load-actions/${id}/restore`);
      load();
    } catch (err) {
      setError(err.message);
    }
  };
  const set = (k) => (e) => setForm({ ...form, [k]: e.target.value });
  return html`<section class="card" aria-labelledby="lc-h"><h3 id="lc-h">${t('loadControl')}</h3>
    ${items.length === 0 ? html`<p>${t('noLoadActions')}</p>` : html`<ul class="entries" data-testid="load-actions">
      ${items.map((a) => html`<li key=${a.id}><span><strong>${a.target}</strong> ≤ ${a.limit_w} W ${t('until')} ${ist(a.end)}<br />
        <small>${t('loadProgress', a.applied, a.meters, a.essential_left_alone)} · ${a.requested_by}: ${a.reason}</small></span>
        ${mayAct && html`<button type="button" onClick=${() => restore(a.id)}>${t('restoreNow')}</button>`}</li>`)}
    </ul>`}
    ${mayAct && html`<form class="inline" onSubmit=${limit} aria-label=${t('limitArea')}>
      <label for="lc-target">${t('dt')}</label>
      <select id="lc-target" required value=${form.target} onChange=${set('target')}>
        <option value="">-</option>${dts.map((d) => html`<option value=${d.dt}>${d.dt} (${d.peak_loading_percent.toFixed(0)} %)</option>`)}
      </select>
      <label for="lc-limit">${t('limitW')}</label><input id="lc-limit" inputmode="numeric" required value=${form.limit_w} onInput=${set('limit_w')} />
      <label for="lc-minutes">${t('minutes')}</label><input id="lc-minutes" inputmode="numeric" required value=${form.minutes} onInput=${set('minutes')} />
      <label for="lc-reason">${t('reason')}</label><input id="lc-reason" required minlength="3" value=${form.reason} onInput=${set('reason')} />
      <button type="submit" class="danger">${t('limitArea')}</button>
    </form>`}
    ${error && html`<p class="error" role="alert">${error}</p>`}
  </section>`;
}

// Transformer loading over a day: DTs by their peak, overloaded ones marked.
export function Loading({ session }) {
  const [day, setDay] = useState(istYesterday());
  const a = useAnswer(`/api/v1/loading?from=${day}&to=${day}`);
  const r = a.data;
  const over = r ? r.dts.filter((d) => d.overloaded.length > 0).length : 0;
  return html`<section><h2>${t('loading')}</h2>
    <${DayPicker} day=${day} onDay=${setDay} id="loading-day" />
    <${Status} a=${a} />
    ${r && html`<p><strong class=${over ? 'bad' : 'ok'} data-testid="overloaded-count">${t('overloadedDts', over, r.dts.length)}</strong></p>
    <div class="scroll" tabindex="0" role="region" aria-label=${t('loading')}><table>
      <caption>${t('loading')}</caption>
      <thead><tr><th scope="col">${t('dt')}</th><th scope="col">${t('feeder')}</th><th scope="col">kVA</th><th scope="col">${t('peakKva')}</th>
        <th scope="col">${t('peakLoading')}</th><th scope="col">${t('at')}</th><th scope="col">${t('overloadedHours')}</th></tr></thead>
      <tbody>${r.dts.map((d) => html`<tr key=${d.dt}><th scope="row">${d.dt}</th><td>${d.feeder}</td><td>${d.rating_kva}</td>
        <td>${d.peak_kva.toFixed(1)}</td><td class=${d.peak_loading_percent > 100 ? 'bad' : ''}>${d.peak_loading_percent.toFixed(0)} %</td>
        <td>${d.peak_at ? ist(d.peak_at) : '-'}</td><td>${d.overloaded_hours.toFixed(2)}</td></tr>`)}</tbody>
    </table></div>`}
    <${LoadActions} session=${session} dts=${r ? r.dts : []} />
  </section>`;
}

// Reliability indices (IEEE 1366) over the last 30 days, per feeder and for the area.
export function Reliability() {
  const [from, setFrom] = useState(istDaysAgo(30));
  const a = useAnswer(`/api/v1/reliability?from=${from}&to=${istYesterday()}`);
  const r = a.data;
  const row = (x) => html`<tr key=${x.name}><th scope="row">${x.name}</th><td>${x.customers}</td><td>${x.saifi.toFixed(3)}</td>
    <td>${x.saidi_minutes.toFixed(1)}</td><td>${x.caidi_minutes.toFixed(1)}</td><td>${x.maifi.toFixed(3)}</td></tr>`;
  return html`<section><h2>${t('reliability')}</h2>
    <form class="inline" onSubmit=${(e) => e.preventDefault()}>
      <label for="rel-from">${t('from')}</label>
      <input id="rel-from" type="date" value=${from} max=${istYesterday()} onChange=${(e) => e.target.value && setFrom(e.target.value)} />
    </form>
    <${Status} a=${a} />
    ${r && html`<div class="counts">
      <div><span class="big" data-testid="saifi">${r.area.saifi.toFixed(3)}</span>SAIFI</div>
      <div><span class="big" data-testid="saidi">${r.area.saidi_minutes.toFixed(1)}</span>SAIDI (${t('minutes')})</div>
      <div><span class="big">${r.area.caidi_minutes.toFixed(1)}</span>CAIDI (${t('minutes')})</div>
      <div><span class="big">${r.area.maifi.toFixed(3)}</span>MAIFI</div>
    </div>
    <p class="note">${t('reliabilityNote')}</p>
    <div class="scroll" tabindex="0" role="region" aria-label=${t('reliability')}><table>
      <caption>${t('reliability')}: ${ist(r.from)} - ${ist(r.to)}</caption>
      <thead><tr><th scope="col">${t('feeder')}</th><th scope="col">${t('consumers')}</th><th scope="col">SAIFI</th>
        <th scope="col">SAIDI</th><th scope="col">CAIDI</th><th scope="col">MAIFI</th></tr></thead>
      <tbody>${r.feeders.map(row)}${row({ ...r.area, name: t('area') })}</tbody>
    </table></div>`}
  </section>`;
}

function OpenCase({ dt, suspect, day, onOpened }) {
  const [asking, setAsking] = useState(false);
  const [note, setNote] = useState('');
  const [error, setError] = useState('');
  const go = async (e) => {
    e.preventDefault();
    try {
      const r = await call('POST', '/api/v1/theft-cases', { serial: suspect.serial, day, note });
      onOpened(r.case);
    } catch (err) {
      setError(err.message);
    }
  };
  if (!asking) return html`<button type="button" onClick=${() => setAsking(true)} data-testid=${`open-case-${suspect.serial}`}>${t('openCase')}</button>`;
  return html`<form class="confirm" role="dialog" aria-label=${t('openCase')} onSubmit=${go}>
    <p>${t('confirmOpenCase', suspect.serial, dt)}</p>
    <label for=${`case-note-${suspect.serial}`}>${t('note')}</label>
    <input id=${`case-note-${suspect.serial}`} value=${note} onInput=${(e) => setNote(e.target.value)} />
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <div class="buttons"><button type="submit" class="primary">${t('confirm')}</button>
      <button type="button" onClick=${() => setAsking(false)}>${t('cancel')}</button></div>
  </form>`;
}

// Theft findings of a day: flagged DTs, most energy stolen first, with their suspects; an
// operator opens a case on a suspect.
export function Theft({ session }) {
  const [day, setDay] = useState(istYesterday());
  const a = useAnswer(`/api/v1/theft?day=${day}`);
  const r = a.data;
  const mayAct = (session.roles || '').split(',').includes('operator');
  const dts = r ? r.dts.slice().sort((x, y) => y.stolen_wh_estimate - x.stolen_wh_estimate) : [];
  return html`<section><h2>${t('theft')}</h2>
    <${DayPicker} day=${day} onDay=${setDay} id="theft-day" />
    <${Status} a=${a} />
    ${r && html`<p data-testid="theft-summary">${t('theftSummary', r.flagged, r.dts_assessed, r.dts_incomplete)}</p>
    <p class="note">${t('theftModel', (100 * r.model.conductor_share).toFixed(2), r.model.core_w_per_kva.toFixed(1), r.model.dt_days_fitted)}</p>
    ${dts.map((f) => html`<article class="card" key=${f.dt} data-testid=${`finding-${f.dt}`}>
      <h3>${t('dt')} ${f.dt} <small>(${t('feeder')} ${f.feeder})</small></h3>
      <p>${t('unexplained', pct(f.unexplained_percent), kwh(f.dt_wh), kwh(f.stolen_wh_estimate))} · ${f.pattern}</p>
      ${f.suspects.length === 0 && html`<p class="note">${t('noSuspects')}</p>`}
      <ol class="suspects">${f.suspects.map((s) => html`<li key=${s.serial}>
        <p><strong>${s.serial}</strong> · <a href=${`#/consumer/${encodeURIComponent(s.consumer)}`}>${s.consumer}</a> · ${t('score')} ${s.score.toFixed(2)}</p>
        <ul class="reasons">${s.reasons.map((why) => html`<li>${why}</li>`)}</ul>
        ${mayAct && html`<${OpenCase} dt=${f.dt} suspect=${s} day=${r.day} onOpened=${(c) => (location.hash = `#/case/${c.id}`)} />`}
      </li>`)}</ol>
    </article>`)}`}
  </section>`;
}

export function Cases() {
  const [state, setState] = useState('open');
  const a = useAnswer(`/api/v1/theft-cases?state=${state}`);
  return html`<section><h2>${t('cases')}</h2>
    <div class="tabs" role="group" aria-label=${t('state')}>
      ${['open', 'confirmed', 'dismissed', 'all'].map((s) => html`<button type="button" class=${`tab ${state === s ? 'active' : ''}`}
        aria-pressed=${state === s} onClick=${() => setState(s)}>${t(`case_${s}`)}</button>`)}
    </div>
    <${Status} a=${a} />
    ${a.data && html`<div class="scroll" tabindex="0" role="region" aria-label=${t('cases')}><table data-testid="cases">
      <caption>${t('cases')}: ${a.data.items.length}</caption>
      <thead><tr><th scope="col">${t('case')}</th><th scope="col">${t('meter')}</th><th scope="col">${t('consumer')}</th><th scope="col">${t('dt')}</th>
        <th scope="col">${t('theDay')}</th><th scope="col">${t('state')}</th><th scope="col">${t('opened')}</th></tr></thead>
      <tbody>${a.data.items.map((c) => html`<tr key=${c.id}><th scope="row"><a href=${`#/case/${c.id}`}>${c.id}</a></th>
        <td>${c.serial}</td><td>${c.consumer}</td><td>${c.dt}</td><td>${c.day}</td><td>${t(`case_${c.state}`)}</td>
        <td>${ist(c.opened)} (${c.opened_by})</td></tr>`)}</tbody>
    </table></div>`}
  </section>`;
}

// One case: its evidence, its trail, and (operator role) a note or its outcome.
export function CasePage({ id, session }) {
  const [c, setC] = useState(null);
  const [error, setError] = useState('');
  const [note, setNote] = useState('');
  const [outcome, setOutcome] = useState('note');
  const load = () => call('GET', `/api/v1/theft-cases/${encodeURIComponent(id)}`).then((x) => (setC(x), setError(''))).catch((e) => setError(e.message));
  useEffect(() => {
    load();
  }, [id]);
  const mayAct = (session.roles || '').split(',').includes('operator');
  const submit = async (e) => {
    e.preventDefault();
    try {
      if (outcome === 'note') await call('POST', `/api/v1/theft-cases/${c.id}/notes`, { note });
      else await call('POST', `/api/v1/theft-cases/${c.id}/close`, { outcome, note });
      setNote('');
      setOutcome('note');
      load();
    } catch (err) {
      setError(err.message);
    }
  };
  if (!c) return html`${error && html`<p class="error" role="alert">${error}</p>`}`;
  return html`<section><h2>${t('case')} ${c.id}: ${c.serial}</h2>
    <div class="card">
      <p>${t('state')}: <strong data-testid="case-state" class=${c.state === 'open' ? 'warn' : c.state === 'confirmed' ? 'bad' : 'ok'}>${t(`case_${c.state}`)}</strong></p>
      <p>${t('consumer')} <a href=${`#/consumer/${encodeURIComponent(c.consumer)}`}>${c.consumer}</a> · ${t('dt')} ${c.dt} · ${t('theDay')} ${c.day}</p>
      <p>${t('evidence')}: ${c.evidence}</p>
      <p class="note">${t('opened')} ${ist(c.opened)} (${c.opened_by})${c.closed ? html` · ${t('closed')} ${ist(c.closed)} (${c.closed_by})` : ''}</p>
    </div>
    <div class="scroll" tabindex="0" role="region" aria-label=${t('trail')}><table data-testid="case-trail">
      <caption>${t('trail')}</caption>
      <thead><tr><th scope="col">${t('when')}</th><th scope="col">${t('actor')}</th><th scope="col">${t('action')}</th><th scope="col">${t('note')}</th></tr></thead>
      <tbody>${c.trail.map((e, i) => html`<tr key=${i}><td>${ist(e.at)}</td><td>${e.actor}</td><td>${e.action}</td><td>${e.note}</td></tr>`)}</tbody>
    </table></div>
    ${mayAct && html`<form class="card" onSubmit=${submit}>
      <label for="case-action">${t('action')}</label>
      <select id="case-action" value=${outcome} onChange=${(e) => setOutcome(e.target.value)}>
        <option value="note">${t('addNote')}</option>
        ${c.state === 'open' && html`<option value="confirmed">${t('confirmTheft')}</option><option value="dismissed">${t('dismissCase')}</option>`}
      </select>
      <label for="case-note">${t('note')}</label>
      <input id="case-note" required minlength="3" value=${note} onInput=${(e) => setNote(e.target.value)} />
      <button type="submit" class="primary">${t('save')}</button>
    </form>`}
    ${error && html`<p class="error" role="alert">${error}</p>`}
  </section>`;
}
