// The consumption graph shared by the portal and the control room: bars per 15 minutes, hour,
// day or month (kWh), estimated intervals in their own colour, and a note of what is estimated
// or still missing.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { call } from './api.js';
import { kwh, t } from './i18n.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

const RESOLUTIONS = [
  ['15m', 'r15'],
  ['hour', 'hour'],
  ['day', 'day'],
  ['month', 'month'],
];

function shortLabel(label, resolution) {
  if (resolution === '15m' || resolution === 'hour') return label.slice(11);
  if (resolution === 'day') return label.slice(5);
  return label;
}

export function UsageChart({ path }) {
  const [resolution, setResolution] = useState('day');
  const [series, setSeries] = useState(null);
  const [error, setError] = useState('');
  const canvas = useRef(null);
  const chart = useRef(null);

  useEffect(() => {
    let live = true;
    call('GET', `${path}?resolution=${resolution}`)
      .then((s) => live && (setSeries(s), setError('')))
      .catch((e) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [path, resolution]);

  useEffect(() => {
    if (!series || !canvas.current) return undefined;
    const labels = series.buckets.map((b) => shortLabel(b.label, series.resolution));
    // A bucket's energy split into what was measured and what was estimated, in proportion to
    // its intervals (the API gives the bucket's total and how many of its intervals are estimates).
    const measured = series.buckets.map((b) =>
      b.intervals ? (b.import_wh * (b.intervals - b.estimated)) / b.intervals / 1000 : 0);
    const estimated = series.buckets.map((b) =>
      b.intervals ? (b.import_wh * b.estimated) / b.intervals / 1000 : 0);
    chart.current?.destroy();
    chart.current = new Chart(canvas.current, {
      type: 'bar',
      data: {
        labels,
        datasets: [
          { label: t('actual'), data: measured, backgroundColor: '#1f6f43', stack: 'e' },
          { label: t('estimated'), data: estimated, backgroundColor: '#d98e04', stack: 'e' },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: t('kwh') } } },
        plugins: { legend: { position: 'bottom' } },
      },
    });
    return () => chart.current?.destroy();
  }, [series]);

  const total = series ? kwh(series.import_wh) : '';
  return html`<section class="card" aria-labelledby="usage-h">
    <h2 id="usage-h">${t('consumption')}</h2>
    <div class="tabs" role="group" aria-label=${t('consumption')}>
      ${RESOLUTIONS.map(([r, key]) => html`<button type="button" class=${r === resolution ? 'tab active' : 'tab'}
          aria-pressed=${r === resolution} onClick=${() => setResolution(r)}>${t(key)}</button>`)}
    </div>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <div class="chart"><canvas ref=${canvas} role="img"
      aria-label=${series ? `${t('consumption')}: ${total} ${t('kwh')}` : t('consumption')}></canvas></div>
    ${series && html`<p class="total" data-testid="usage-total">${total} ${t('kwh')}</p>`}
    ${series && series.estimated > 0 && html`<p class="note estimated" data-testid="estimated-note">${t('estimatedNote', series.estimated)}</p>`}
    ${series && series.missing > 0 && html`<p class="note">${t('missingNote', series.missing)}</p>`}
  </section>`;
}
