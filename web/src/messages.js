// A consumer's messages (SMS notices: low balance, disconnection, reconnection, recharges,
// outages...) with their delivery status, newest first; refreshed every 10 s, since a notice
// follows its cause by a second or two. The portal and the control room's consumer page share it.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { call } from './api.js';
import { ist, t } from './i18n.js';

export function Messages({ path, version }) {
  const [items, setItems] = useState(null);
  useEffect(() => {
    const load = () => call('GET', `${path}?limit=20`).then((r) => setItems(r.items)).catch(() => setItems([]));
    load();
    const timer = setInterval(load, 10000);
    return () => clearInterval(timer);
  }, [path, version]);
  if (!items) return null;
  const state = (m) => (m.state === 'sent' ? t('msgSent') : m.state === 'queued' ? t('msgQueued', m.attempts)
    : m.state === 'no-mobile' ? t('msgNoMobile') : t('msgFailed'));
  return html`<section class="card" aria-labelledby="msg-h">
    <h2 id="msg-h">${t('messages')}</h2>
    ${items.length === 0 ? html`<p>${t('noMessages')}</p>` : html`<ul class="entries messages" data-testid="messages">
      ${items.map((m) => html`<li key=${m.id} data-kind=${m.kind}>
        <span>${m.text}<br /><small>${ist(m.created)} · ${state(m)}</small></span>
      </li>`)}
    </ul>`}
  </section>`;
}
