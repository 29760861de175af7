// The consumer portal, phone first: sign in with the consumer number and a code sent by SMS;
// then the balance and days left, supply, the consumption graph and the payments.
import { html, render } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { call, currentSession, setCsrf, signOut } from './api.js';
import { ist, kindName, rupees, t, toggleLanguage } from './i18n.js';
import { Messages } from './messages.js';
import { UsageChart } from './usage.js';

function Header({ session, onSignOut, onLanguage }) {
  return html`<header class="bar">
    <h1>${t('portalTitle')}</h1>
    <div class="actions">
      <button type="button" class="link" onClick=${onLanguage} data-testid="language">${t('language')}</button>
      ${session && html`<button type="button" class="link" onClick=${onSignOut}>${t('signOut')}</button>`}
    </div>
  </header>`;
}

function SignIn({ onSignedIn }) {
  const [consumer, setConsumer] = useState('');
  const [code, setCode] = useState('');
  const [sent, setSent] = useState(false);
  const [error, setError] = useState('');
  const ask = async (e) => {
    e.preventDefault();
    setError('');
    try {
      await call('POST', '/api/v1/portal/code', { consumer_id: consumer.trim() });
      setSent(true);
    } catch (err) {
      setError(err.message);
    }
  };
  const enter = async (e) => {
    e.preventDefault();
    setError('');
    try {
      const s = await call('POST', '/api/v1/portal/session', { consumer_id: consumer.trim(), code: code.trim() });
      setCsrf(s.csrf);
      onSignedIn(s);
    } catch (err) {
      setError(err.message);
    }
  };
  return html`<main class="narrow">
    <form class="card" onSubmit=${sent ? enter : ask}>
      <label for="consumer">${t('consumerNumber')}</label>
      <input id="consumer" name="consumer" autocomplete="username" inputmode="text" required
        value=${consumer} onInput=${(e) => setConsumer(e.target.value)} readOnly=${sent} />
      ${sent && html`<p class="note" role="status">${t('codeSent')}</p>
        <label for="code">${t('code')}</label>
        <input id="code" name="code" autocomplete="one-time-code" inputmode="numeric" pattern="[0-9]{6}"
          maxlength="6" required value=${code} onInput=${(e) => setCode(e.target.value)} />`}
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <button type="submit" class="primary">${sent ? t('signIn') : t('sendCode')}</button>
    </form>
  </main>`;
}

function Balance({ account }) {
  const closed = account.relay_status.state === 'closed';
  return html`<section class="card balance" aria-labelledby="balance-h">
    <h2 id="balance-h">${t('balance')}</h2>
    <p class="amount" data-testid="balance">${rupees(account.balance_paise)}</p>
    <p>${account.days_left === null ? t('daysUnknown') : t('daysLeft', Math.floor(account.days_left))}</p>
    ${(account.dues_paise > 0 || account.arrears_paise > 0) &&
      html`<p>${t('dues')}: ${rupees(account.dues_paise + account.arrears_paise)}</p>`}
    <p>
      ${`${t('supply')}: `}<strong class=${closed ? 'ok' : 'bad'} data-testid="relay">${closed ? t('relayClosed') : t('relayOpen')}</strong>
      ${account.relay_status.pending_command && html` <span class="note">(${t('relayPending')})</span>`}
    </p>
    <p class="note">${t('lastReading')}: ${ist(account.meter_last_contact)}</p>
  </section>`;
}

// A meter the platform has not heard from (the server says so: its clock, the fleet status's
// measure of silence) may be out of the network's reach: a hotspot token lets the consumer
// reconnect it himself through its Wi-Fi hotspot (docs/hotspot-tokens.md).
function offline(account) {
  return account.meter_silent;
}

function Recharge({ account, onPaid }) {
  const [amount, setAmount] = useState('');
  const [wantToken, setWantToken] = useState(offline(account));
  const [token, setToken] = useState('');
  const [message, setMessage] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  // Back from the gateway's checkout page (?order=...): the platform, not the address, says
  // whether the payment went through; the gateway's notice may take a moment to arrive.
  useEffect(() => {
    const order = new URLSearchParams(location.search).get('order');
    if (!order) return undefined;
    history.replaceState(null, '', location.pathname + location.hash);
    let stopped = false;
    setMessage(t('confirming'));
    const check = async (tries) => {
      if (stopped) return;
      try {
        const o = await call('GET', `/api/v1/portal/checkout/${encodeURIComponent(order)}`);
        if (o.state === 'paid') {
          if (o.token) setToken(o.token);
          setMessage(t('paid', rupees(o.amount_paise), rupees(o.balance_paise)));
          onPaid();
          return;
        }
        if (o.state === 'failed') {
          setMessage('');
          setError(t('payFailed'));
          return;
        }
        if (tries > 0) setTimeout(() => check(tries - 1), 1000);
        else setMessage(t('payPending'));
      } catch (err) {
        setMessage('');
        setError(err.message);
      }
    };
    check(30);
    return () => {
      stopped = true;
    };
  }, []);
  const pay = async (e) => {
    e.preventDefault();
    setError('');
    setMessage('');
    setBusy(true);
    try {
      // One id per press of Pay: a repeated request (a double tap, a retry) pays once.
      const requestId = crypto.randomUUID();
      setToken('');
      const r = await call('POST', '/api/v1/portal/recharges', { amount: amount.trim(), request_id: requestId, hotspot_token: wantToken });
      if (r.completed) {
        if (r.token) setToken(r.token);
        setMessage(`${t('paid', rupees(r.amount_paise), rupees(r.balance_paise))}${r.reconnect_ordered ? ` ${t('reconnecting')}` : ''}`);
        setAmount('');
        onPaid();
      } else if (r.pay_url) {
        location.assign(r.pay_url);
      }
    } catch (err) {
      setError(err.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="card" aria-labelledby="recharge-h">
    <h2 id="recharge-h">${t('recharge')}</h2>
    <form onSubmit=${pay}>
      <div class="tabs">${[100, 200, 500, 1000].map((v) => html`<button type="button" class="tab" onClick=${() => setAmount(String(v))}>${rupees(v * 100)}</button>`)}</div>
      <label for="amount">${t('amount')}</label>
      <input id="amount" inputmode="decimal" pattern="[0-9]+(\.[0-9]{1,2})?" required value=${amount}
        onInput=${(e) => setAmount(e.target.value)} />
      <label class="check"><input type="checkbox" checked=${wantToken} onChange=${(e) => setWantToken(e.target.checked)} />
        ${t('wantToken')}</label>
      ${offline(account) && html`<p class="note warn">${t('meterOffline')}</p>`}
      ${error && html`<p class="error" role="alert">${error}</p>`}
      ${message && html`<p class="note" role="status" data-testid="recharge-status">${message}</p>`}
      ${token && html`<div class="token" role="status"><p>${t('tokenIs')}</p>
        <p class="token-digits" data-testid="token">${token}</p><p class="note">${t('tokenHow')}</p></div>`}
      <button type="submit" class="primary" disabled=${busy}>${t('pay')}</button>
    </form>
  </section>`;
}

function Payments({ version }) {
  const [entries, setEntries] = useState(null);
  useEffect(() => {
    call('GET', '/api/v1/portal/payments?limit=20').then((r) => setEntries(r.entries)).catch(() => setEntries([]));
  }, [version]);
  if (!entries) return null;
  return html`<section class="card" aria-labelledby="pay-h">
    <h2 id="pay-h">${t('payments')}</h2>
    ${entries.length === 0 ? html`<p>${t('noPayments')}</p>` : html`<ul class="entries">
      ${entries.map((e) => html`<li key=${e.txn_id}>
        <span>${kindName(e.kind)}<br /><small>${e.effective || ist(e.at)}</small></span>
        <span class=${e.balance_change_paise >= 0 ? 'credit' : 'debit'}>${rupees(e.balance_change_paise)}</span>
      </li>`)}
    </ul>`}
  </section>`;
}

// Monthly statements and bills; each opens as the document billing issued.
function Statements() {
  const [items, setItems] = useState(null);
  useEffect(() => {
    call('GET', '/api/v1/portal/statements').then((r) => setItems(r.items)).catch(() => setItems([]));
  }, []);
  if (!items) return null;
  return html`<section class="card" aria-labelledby="st-h">
    <h2 id="st-h">${t('statements')}</h2>
    ${items.length === 0 ? html`<p>${t('noStatements')}</p>` : html`<ul class="entries" data-testid="statements">
      ${items.map((s) => html`<li key=${`${s.month}-${s.kind}`}>
        <span>${kindName(s.kind)} ${s.month}<br /><small>${ist(s.issued)}</small></span>
        <span>${rupees(s.bill_paise)} <a href=${`/api/v1/portal/statements/${s.month}/${s.kind}`} target="_blank" rel="noopener">${t('view')}</a></span>
      </li>`)}
    </ul>`}
  </section>`;
}

function Home() {
  const [account, setAccount] = useState(null);
  const [error, setError] = useState('');
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const load = () => call('GET', '/api/v1/portal/account').then(setAccount).catch((e) => setError(e.message));
    load();
    const timer = setInterval(load, 15000);
    return () => clearInterval(timer);
  }, [version]);
  return html`<main class="narrow">
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${account && html`<p class="note">${t('consumerNumber')}: <strong>${account.consumer_id}</strong></p>
      <${Balance} account=${account} />`}
    ${account && html`<${Recharge} account=${account} onPaid=${() => setVersion((n) => n + 1)} />`}
    <${UsageChart} path="/api/v1/portal/usage" />
    <${Messages} path="/api/v1/portal/notifications" version=${version} />
    <${Payments} version=${version} />
    <${Statements} />
  </main>`;
}

function App() {
  const [session, setSession] = useState(undefined);
  const [, setTick] = useState(0);
  useEffect(() => {
    currentSession().then((s) => setSession(s && s.audience === 'consumer' ? s : null)).catch(() => setSession(null));
  }, []);
  const out = async () => {
    await signOut().catch(() => {});
    setSession(null);
  };
  const language = () => {
    toggleLanguage();
    setTick((n) => n + 1);
  };
  if (session === undefined) return null;
  return html`<${Header} session=${session} onSignOut=${out} onLanguage=${language} />
    ${session ? html`<${Home} key=${document.documentElement.lang} />` : html`<${SignIn} onSignedIn=${setSession} />`}`;
}

render(html`<${App} />`, document.getElementById('app'));
