// The control room's MDM pages on a simulated day with theft (tests/run.sh runs `vidyut demo` with
// hooks and bypasses and serves its data at VIDYUT_MDM_URL): an operator reads the energy
// accounting, loading (and limits an area, then restores it) and reliability, finds a flagged transformer on the theft page, opens a
// case on its first suspect and follows it to its outcome; the steps are in the case's trail and
// the audit trail; a viewer reads the case but cannot act.
import { expect, test } from '@playwright/test';
import { accessible, shot } from './helpers.js';

const day = process.env.VIDYUT_THEFT_DAY;
test.use({ baseURL: process.env.VIDYUT_MDM_URL });

async function signIn(page, name, password) {
  await page.goto('/control/');
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Fleet' })).toBeVisible();
}

test('an operator reads the day and follows a theft case to its outcome', async ({ page }, testInfo) => {
  await signIn(page, 'asha', process.env.VIDYUT_OPERATOR_PASSWORD);

  await page.getByRole('link', { name: 'Energy accounting' }).click();
  await page.getByLabel('Day').fill(day);
  await expect(page.getByTestId('area-loss')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('audit-dts').locator('tbody tr').first()).toBeVisible();
  await accessible(page);
  await shot(page, testInfo, 'control-energy-audit');

  await page.getByRole('link', { name: 'Transformer loading' }).click();
  await page.getByLabel('Day').fill(day);
  await expect(page.getByTestId('overloaded-count')).toContainText('transformers overloaded');
  // Area load control: limit a transformer's consumers for an hour, then restore it early.
  await expect(page.getByText('No area is limited now.')).toBeVisible();
  await page.getByLabel('DT', { exact: true }).selectOption({ index: 1 });
  await page.getByLabel('Limit (W)').fill('800');
  await page.getByLabel('Reason (kept in the audit trail)').fill('transformer at 130 % in the evening peak');
  await page.getByRole('button', { name: 'Limit the area' }).click();
  await expect(page.getByTestId('load-actions')).toContainText('≤ 800 W');
  await accessible(page);
  await shot(page, testInfo, 'control-loading');
  await page.getByRole('button', { name: 'Restore now' }).click();
  await expect(page.getByText('No area is limited now.')).toBeVisible();

  await page.getByRole('link', { name: 'Reliability' }).click();
  await expect(page.getByTestId('saifi')).toBeVisible({ timeout: 30_000 });
  await accessible(page);
  await shot(page, testInfo, 'control-reliability');

  await page.getByRole('link', { name: 'Theft', exact: true }).click();
  await page.getByLabel('Day').fill(day);
  await expect(page.getByTestId('theft-summary')).toBeVisible({ timeout: 60_000 });
  await expect(page.locator('[data-testid^="finding-"]').first()).toBeVisible();
  await accessible(page);
  await shot(page, testInfo, 'control-theft');
  // The first suspect listed (a hook on the line names nobody; a bypass names its consumer).
  const open = page.locator('[data-testid^="open-case-"]').first();
  const serial = (await open.getAttribute('data-testid')).slice('open-case-'.length);
  await open.click();
  await page.getByLabel('Note').fill('lineman to inspect the meter board');
  await shot(page, testInfo, 'control-theft-open-case');
  await page.getByRole('button', { name: 'Confirm' }).click();

  await expect(page.getByRole('heading', { name: new RegExp(`^Case \\d+: ${serial}$`) })).toBeVisible();
  await expect(page.getByTestId('case-state')).toHaveText('Open');
  await expect(page.getByTestId('case-trail').locator('tbody tr')).toHaveCount(1);
  await page.getByLabel('Action').selectOption('confirmed');
  await page.getByLabel('Note').fill('bypass found behind the meter; sealed and booked');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('case-state')).toHaveText('Confirmed');
  await expect(page.getByTestId('case-trail').locator('tbody tr')).toHaveCount(2);
  await expect(page.getByTestId('case-trail')).toContainText('web:asha');
  await accessible(page);
  await shot(page, testInfo, 'control-theft-case');
  const caseUrl = page.url();

  await page.getByRole('link', { name: 'Theft cases' }).click();
  await page.getByRole('button', { name: 'Confirmed' }).click();
  await expect(page.getByTestId('cases').getByRole('cell', { name: serial }).first()).toBeVisible();
  await shot(page, testInfo, 'control-theft-cases');
  await page.getByRole('link', { name: 'Audit trail' }).click();
  await expect(page.getByRole('cell', { name: 'theft-case-confirm' }).first()).toBeVisible();

  await page.getByTestId('language').click();
  await page.getByRole('link', { name: 'बिजली चोरी' }).click();
  await page.getByLabel('दिन').fill(day);
  await expect(page.locator('[data-testid^="finding-"]').first()).toBeVisible({ timeout: 30_000 });
  await accessible(page);
  await shot(page, testInfo, 'control-theft-hindi');
  await page.getByTestId('language').click();

  // A viewer reads the case, and neither the page nor the API lets him act on it.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(page, 'vikram', process.env.VIDYUT_VIEWER_PASSWORD);
  await page.goto(caseUrl);
  await expect(page.getByTestId('case-state')).toHaveText('Confirmed');
  await expect(page.getByRole('button', { name: 'Save' })).toHaveCount(0);
  const id = caseUrl.split('/').pop();
  const refused = await page.evaluate(async (caseId) => {
    const s = await (await fetch('/api/v1/session')).json();
    const r = await fetch(`/api/v1/theft-cases/${caseId}/notes`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf },
      body: JSON.stringify({ note: 'trying' }) });
    return r.status;
  }, id);
  expect(refused).toBe(403);
});
