// The control room: operators sign in with a password; the fleet live, consumers, a consumer's
// page with disconnect and reconnect (confirmed, followed to the end), outages, alerts, the MDM's
// analyses and theft cases (analysis.js), and the audit trail.
import { html, render } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { call, currentSession, setCsrf, signOut } from './api.js';
import { ist, kindName, kwh, rupees, t, toggleLanguage } from './i18n.js';
import { UsageChart } from './usage.js';
import { Messages } from './messages.js';
import { CasePage, Cases, EnergyAudit, Loading, Reliability, Theft } from './analysis.js';

function useHash() {
  const [hash, setHash] = useState(location.hash || '#/');
  useEffect(() => {
    const on = () => setHash(location.hash || '#/');
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}

function SignIn({ onSignedIn }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const submit = async (e) => {
    e.preventDefault();
    setError('');
    try {
      const s = await call('POST', '/api/v1/session', { username: name.trim(), password });
      setCsrf(s.csrf);
      onSignedIn(s);
    } catch (err) {
      setError(err.message);
    }
  };
  return html`<main class="narrow">
    <form class="card" onSubmit=${submit}>
      <label for="username">${t('username')}</label>
      <input id="username" autocomplete="username" required value=${name} onInput=${(e) => setName(e.target.value)} />
      <label for="password">${t('password')}</label>
      <input id="password" type="password" autocomplete="current-password" required value=${password}
        onInput=${(e) => setPassword(e.target.value)} />
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <button type="submit" class="primary">${t('signIn')}</button>
    </form>
  </main>`;
}

function Counts({ c }) {
  return html`<div class="counts">
    <div><span class="big" data-testid="count-meters">${c.meters}</span>${t('meters')}</div>
    <div><span class="big ok" data-testid="count-communicating">${c.communicating}</span>${t('communicating')}</div>
    <div><span class="big warn">${c.silent}</span>${t('silent')}</div>
    <div><span class="big">${c.never_seen}</span>${t('neverSeen')}</div>
    <div><span class="big bad" data-testid="count-relay-open">${c.relay_open}</span>${t('relayOpen')}</div>
  </div>`;
}

function CountTable({ rows, caption, withFeeder }) {
  return html`<table>
    <caption>${caption}</caption>
    <thead><tr><th scope="col">${t('name')}</th>${withFeeder && html`<th scope="col">${t('feeder')}</th>`}
      <th scope="col">${t('meters')}</th><th scope="col">${t('communicating')}</th><th scope="col">${t('silent')}</th>
      <th scope="col">${t('neverSeen')}</th><th scope="col">${t('relayOpen')}</th></tr></thead>
    <tbody>${rows.map((r) => html`<tr key=${r.name}><th scope="row">${r.name || '-'}</th>
      ${withFeeder && html`<td>${r.feeder}</td>`}<td>${r.meters}</td><td>${r.communicating}</td><td>${r.silent}</td>
      <td>${r.never_seen}</td><td>${r.relay_open}</td></tr>`)}</tbody>
  </table>`;
}

// The fleet at a glance, pushed by the server (an event whenever the counts change); while the
// event stream is down (EventSource reconnects by itself) the page polls every 5 s instead.
function Fleet() {
  const [fleet, setFleet] = useState(null);
  const [error, setError] = useState('');
  const [live, setLive] = useState(false);
  useEffect(() => {
    let timer = null;
    const load = () => call('GET', '/api/v1/fleet').then((f) => (setFleet(f), setError(''))).catch((e) => setError(e.message));
    const poll = (on) => {
      if (on && !timer) timer = setInterval(load, 5000);
      if (!on && timer) (clearInterval(timer), (timer = null));
    };
    load();
    const source = new EventSource('/api/v1/fleet/stream');
    source.onopen = () => (setLive(true), poll(false));
    source.onerror = () => (setLive(false), poll(true));
    source.addEventListener('fleet', (e) => (setFleet(JSON.parse(e.data)), setError('')));
    source.addEventListener('end', () => (source.close(), setLive(false), poll(true)));
    return () => (source.close(), poll(false));
  }, []);
  return html`<section>
    <h2>${t('fleet')}</h2>
    <p class="note"><span data-testid="fleet-live">${live ? t('live') : t('livePolling')}</span>${fleet && html` · ${t('updated')} ${ist(fleet.at)}`}</p>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${fleet && html`<${Counts} c=${fleet.all} />
      <div class="scroll" tabindex="0" role="region" aria-label=${t('feeders')}><${CountTable} rows=${fleet.feeders} caption=${t('feeders')} /></div>
      <div class="scroll" tabindex="0" role="region" aria-label=${t('dts')}><${CountTable} rows=${fleet.dts} caption=${t('dts')} withFeeder=${true} /></div>`}
  </section>`;
}

function Consumers() {
  const [page, setPage] = useState(null);
  const [offset, setOffset] = useState(0);
  const [id, setId] = useState('');
  useEffect(() => {
    call('GET', `/api/v1/consumers?offset=${offset}&limit=50`).then(setPage).catch(() => setPage(null));
  }, [offset]);
  return html`<section>
    <h2>${t('consumers')}</h2>
    <form class="inline" onSubmit=${(e) => { e.preventDefault(); if (id.trim()) location.hash = `#/consumer/${encodeURIComponent(id.trim())}`; }}>
      <label for="lookup">${t('lookup')}</label>
      <input id="lookup" value=${id} onInput=${(e) => setId(e.target.value)} />
      <button type="submit">${t('open')}</button>
    </form>
    ${page && html`<div class="scroll" tabindex="0" role="region" aria-label=${t('consumers')}><table>
      <caption>${t('consumers')} ${offset + 1}-${offset + page.items.length} / ${page.total}</caption>
      <thead><tr><th scope="col">${t('consumer')}</th><th scope="col">${t('meter')}</th><th scope="col">${t('feeder')}</th>
        <th scope="col">${t('dt')}</th><th scope="col">${t('lastReading')}</th></tr></thead>
      <tbody>${page.items.map((m) => html`<tr key=${m.serial}>
        <th scope="row">${m.consumer_id ? html`<a href=${`#/consumer/${encodeURIComponent(m.consumer_id)}`}>${m.consumer_id}</a>` : m.kind}</th>
        <td>${m.serial}</td><td>${m.feeder}</td><td>${m.dt}</td><td>${ist(m.last_contact)}</td></tr>`)}</tbody>
    </table></div>
    <div class="pager">
      <button type="button" disabled=${offset === 0} onClick=${() => setOffset(Math.max(0, offset - 50))}>${t('previous')}</button>
      <button type="button" disabled=${offset + 50 >= page.total} onClick=${() => setOffset(offset + 50)}>${t('next')}</button>
    </div>`}
  </section>`;
}

// Confirms a relay action with a reason, submits it and follows its command to the end.
function RelayAction({ consumer, reconnect, onDone }) {
  const [asking, setAsking] = useState(false);
  const [reason, setReason] = useState('');
  const [status, setStatus] = useState('');
  const [error, setError] = useState('');
  const go = async (e) => {
    e.preventDefault();
    setError('');
    try {
      const r = await call('POST', `/api/v1/consumers/${encodeURIComponent(consumer)}/${reconnect ? 'reconnect' : 'disconnect'}`, { reason });
      setAsking(false);
      setReason('');
      if (!r.command) {
        setStatus(t('heldBy', r.holds.map((h) => h.holder).join(', ')));
        onDone();
        return;
      }
      let c = r.command;
      setStatus(`${t('command')} ${c.id}: ${c.state}`);
      for (let i = 0; i < 120 && c.state === 'pending'; i++) {
        await new Promise((ok) => setTimeout(ok, 1000));
        c = await call('GET', `/api/v1/commands/${c.id}`);
        setStatus(`${t('command')} ${c.id}: ${c.state}${c.result ? ` (${c.result})` : ''}`);
      }
      onDone();
    } catch (err) {
      setError(err.message);
    }
  };
  const label = reconnect ? t('reconnect') : t('disconnect');
  return html`<div class="relay-action">
    ${!asking && html`<button type="button" class=${reconnect ? 'primary' : 'danger'} onClick=${() => setAsking(true)}>${label}</button>`}
    ${asking && html`<form class="confirm" role="dialog" aria-label=${label} onSubmit=${go}>
      <p>${reconnect ? t('confirmReconnect', consumer) : t('confirmDisconnect', consumer)}</p>
      <label for=${`reason-${reconnect}`}>${t('reason')}</label>
      <input id=${`reason-${reconnect}`} required minlength="3" value=${reason} onInput=${(e) => setReason(e.target.value)} />
      <div class="buttons"><button type="submit" class=${reconnect ? 'primary' : 'danger'}>${t('confirm')}</button>
        <button type="button" onClick=${() => setAsking(false)}>${t('cancel')}</button></div>
    </form>`}
    ${status && html`<p class="note" role="status" data-testid=${reconnect ? 'reconnect-status' : 'disconnect-status'}>${status}</p>`}
    ${error && html`<p class="error" role="alert">${error}</p>`}
  </div>`;
}

function ConsumerPage({ id, session }) {
  const [c, setC] = useState(null);
  const [error, setError] = useState('');
  const [payments, setPayments] = useState([]);
  const load = () => {
    call('GET', `/api/v1/consumers/${encodeURIComponent(id)}`).then((x) => (setC(x), setError(''))).catch((e) => setError(e.message));
    call('GET', `/api/v1/consumers/${encodeURIComponent(id)}/payments?limit=20`).then((p) => setPayments(p.entries)).catch(() => {});
  };
  useEffect(load, [id]);
  const mayCommand = (session.roles || '').split(',').includes('operator');
  if (error) return html`<p class="error" role="alert">${error}</p>`;
  if (!c) return null;
  const a = c.account;
  return html`<section>
    <h2>${t('consumer')} ${a.consumer_id}</h2>
    <div class="grid">
      <div class="card">
        <p>${t('balance')}: <strong>${rupees(a.balance_paise)}</strong></p>
        <p>${t('mode')}: ${a.mode} · ${t('tariff')}: ${a.tariff}</p>
        <p>${t('supply')}: <strong class=${c.relay.state === 'closed' ? 'ok' : 'bad'} data-testid="relay">${c.relay.state === 'closed' ? t('relayClosed') : t('relayOpen')}</strong>
          ${c.relay.pending_command && html` <span class="note">(${t('command')} ${c.relay.pending_command.id}: ${c.relay.pending_command.kind}, ${c.relay.pending_command.state})</span>`}</p>
        <p>${t('holds')}: <span data-testid="holds">${c.relay.holds.length ? c.relay.holds.map((h) => `${h.holder} (${h.reason})`).join('; ') : t('none')}</span></p>
      </div>
      <div class="card">
        <p>${t('meter')}: ${c.meter.serial} (${c.meter.kind}, ${c.meter.manufacturer})</p>
        <p>${t('feeder')} ${c.meter.feeder} · ${t('dt')} ${c.meter.dt}</p>
        <p>${t('lastReading')}: ${ist(c.meter.last_contact)}</p>
        <p>${t('month')}: ${kwh(a.month_wh)} ${t('kwh')}</p>
      </div>
    </div>
    ${mayCommand && html`<div class="actions-row">
      <${RelayAction} consumer=${a.consumer_id} reconnect=${false} onDone=${load} />
      <${RelayAction} consumer=${a.consumer_id} reconnect=${true} onDone=${load} />
    </div>`}
    <${UsageChart} path=${`/api/v1/consumers/${encodeURIComponent(id)}/usage`} />
    <${Messages} path=${`/api/v1/consumers/${encodeURIComponent(id)}/notifications`} />
    <section class="card"><h3>${t('payments')}</h3>
      <ul class="entries">${payments.map((e) => html`<li key=${e.txn_id}><span>${kindName(e.kind)} <small>${e.effective}</small></span>
        <span>${rupees(e.balance_change_paise)}</span></li>`)}</ul>
    </section>
  </section>`;
}

function Feed({ path, columns, title }) {
  const [items, setItems] = useState([]);
  useEffect(() => {
    const load = () => call('GET', `${path}?limit=200`).then((r) => setItems(r.items)).catch(() => {});
    load();
    const timer = setInterval(load, 5000);
    return () => clearInterval(timer);
  }, [path]);
  return html`<section><h2>${title}</h2><p class="note">${t('live')}</p><div class="scroll" tabindex="0" role="region" aria-label=${title}><table>
    <caption>${title}</caption>
    <thead><tr>${columns.map(([, label]) => html`<th scope="col">${label}</th>`)}</tr></thead>
    <tbody>${items.map((x) => html`<tr key=${x.id}>${columns.map(([k]) => html`<td>${k === 'at' ? ist(x[k]) : String(x[k])}</td>`)}</tr>`)}</tbody>
  </table></div></section>`;
}

// Outages of feeders and DTs over the last 7 days, ongoing ones first, refreshed every 15 s.
function Outages() {
  const [data, setData] = useState(null);
  const [error, setError] = useState('');
  useEffect(() => {
    const from = new Date(Date.now() - 6 * 86400000 + 5.5 * 3600000).toISOString().slice(0, 10);
    const load = () => call('GET', `/api/v1/outages?from=${from}`).then((d) => (setData(d), setError(''))).catch((e) => setError(e.message));
    load();
    const timer = setInterval(load, 15000);
    return () => clearInterval(timer);
  }, []);
  const ongoingFirst = (a, b) => (a.end === null ? 0 : 1) - (b.end === null ? 0 : 1) || b.start.localeCompare(a.start);
  const rows = data ? data.items.slice().sort(ongoingFirst) : [];
  return html`<section><h2>${t('outages')}</h2>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${data && html`<p class="note">${data.from} - ${data.to} · ${t('updated')} ${ist(data.ongoing_as_of)}</p>
    <div class="scroll" tabindex="0" role="region" aria-label=${t('outages')}><table>
      <caption>${t('outages')}: ${rows.length}</caption>
      <thead><tr><th scope="col">${t('name')}</th><th scope="col">${t('kind')}</th><th scope="col">${t('feeder')}</th>
        <th scope="col">${t('from')}</th><th scope="col">${t('until')}</th><th scope="col">${t('minutes')}</th><th scope="col">${t('consumers')}</th></tr></thead>
      <tbody>${rows.map((o) => html`<tr key=${`${o.level}-${o.name}-${o.start}`}>
        <th scope="row">${o.name}</th><td>${o.level}</td><td>${o.feeder}</td><td>${ist(o.start)}</td>
        <td>${o.end ? ist(o.end) : html`<strong class="bad">${t('ongoing')}</strong>`}</td><td>${o.minutes}</td><td>${o.consumers}</td></tr>`)}</tbody>
    </table></div>`}
  </section>`;
}

// Alerts as they arrive: the latest 200, then each new one from the server's event stream.
function Alerts() {
  const [items, setItems] = useState([]);
  const [live, setLive] = useState(false);
  useEffect(() => {
    let source;
    let stopped = false;
    call('GET', '/api/v1/alerts?limit=200').then((r) => {
      if (stopped) return;
      setItems(r.items);
      const after = r.items.length ? r.items[0].id : 0;
      source = new EventSource(`/api/v1/alerts/stream?after=${after}`);
      source.onopen = () => setLive(true);
      source.onerror = () => setLive(false);
      source.addEventListener('alert', (e) => setItems((old) => [JSON.parse(e.data), ...old].slice(0, 500)));
    }).catch(() => {});
    return () => {
      stopped = true;
      source?.close();
    };
  }, []);
  const columns = [['at', t('when')], ['kind', t('kind')], ['name', t('name')], ['meter_id', t('meter')], ['detail', t('detail')]];
  return html`<section><h2>${t('alerts')}</h2>
    <p class="note" data-testid="alerts-live">${live ? t('liveStream') : t('connecting')}</p>
    <div class="scroll" tabindex="0" role="region" aria-label=${t('alerts')}><table>
    <caption>${t('alerts')}</caption>
    <thead><tr>${columns.map(([, label]) => html`<th scope="col">${label}</th>`)}</tr></thead>
    <tbody>${items.map((x) => html`<tr key=${x.id}>${columns.map(([k]) => html`<td>${k === 'at' ? ist(x[k]) : String(x[k])}</td>`)}</tr>`)}</tbody>
  </table></div></section>`;
}

function App() {
  const [session, setSession] = useState(undefined);
  const [, setTick] = useState(0);
  const hash = useHash();
  useEffect(() => {
    currentSession().then((s) => setSession(s && s.audience === 'operator' ? s : null)).catch(() => setSession(null));
  }, []);
  const out = async () => {
    await signOut().catch(() => {});
    setSession(null);
  };
  if (session === undefined) return null;
  const nav = [['#/', t('fleet')], ['#/consumers', t('consumers')], ['#/outages', t('outages')], ['#/alerts', t('alerts')],
    ['#/energy', t('energyAudit')], ['#/loading', t('loading')], ['#/reliability', t('reliability')], ['#/theft', t('theft')],
    ['#/cases', t('cases')], ['#/audit', t('audit')]];
  let page;
  if (!session) page = html`<${SignIn} onSignedIn=${setSession} />`;
  else if (hash.startsWith('#/consumer/')) page = html`<${ConsumerPage} id=${decodeURIComponent(hash.slice(11))} session=${session} />`;
  else if (hash === '#/consumers') page = html`<${Consumers} />`;
  else if (hash === '#/alerts') page = html`<${Alerts} />`;
  else if (hash === '#/outages') page = html`<${Outages} />`;
  else if (hash === '#/energy') page = html`<${EnergyAudit} />`;
  else if (hash === '#/loading') page = html`<${Loading} session=${session} />`;
  else if (hash === '#/reliability') page = html`<${Reliability} />`;
  else if (hash === '#/theft') page = html`<${Theft} session=${session} />`;
  else if (hash === '#/cases') page = html`<${Cases} />`;
  else if (hash.startsWith('#/case/')) page = html`<${CasePage} id=${decodeURIComponent(hash.slice(7))} session=${session} />`;
  else if (hash === '#/audit') page = html`<${Feed} path="/api/v1/audit" title=${t('audit')}
      columns=${[['at', t('when')], ['actor', t('actor')], ['action', t('action')], ['subject', t('subject')], ['detail', t('detail')]]} />`;
  else page = html`<${Fleet} />`;
  return html`<header class="bar">
      <h1>${t('controlTitle')}</h1>
      <div class="actions">
        ${session && html`<span class="note">${t('signedInAs', session.subject)}</span>`}
        <button type="button" class="link" onClick=${() => { toggleLanguage(); setTick((n) => n + 1); }} data-testid="language">${t('language')}</button>
        ${session && html`<button type="button" class="link" onClick=${out}>${t('signOut')}</button>`}
      </div>
    </header>
    ${session && html`<nav aria-label="main"><ul>${nav.map(([h, label]) => html`<li><a href=${h} aria-current=${hash === h ? 'page' : undefined}>${label}</a></li>`)}</ul></nav>`}
    ${session ? html`<main>${page}</main>` : page}`;
}

render(html`<${App} />`, document.getElementById('app'));
