// The control room: an operator signs in, sees the fleet live, opens a consumer, disconnects and
// reconnects him with the commands followed to the end; a viewer sees no relay buttons; both
// languages; no serious accessibility violation; screenshots of every page.
import { expect, test } from '@playwright/test';
import { accessible, expectPagePolicy, shot } from './helpers.js';

const consumer = process.env.VIDYUT_CONSUMER;

async function signIn(page, name, password) {
  const response = await page.goto('/control/');
  expectPagePolicy(response);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Fleet' })).toBeVisible();
}

test('an operator follows the fleet and disconnects and reconnects a consumer', async ({ page }, testInfo) => {
  await page.goto('/control/');
  await accessible(page);
  await shot(page, testInfo, 'control-sign-in');
  await signIn(page, 'asha', process.env.VIDYUT_OPERATOR_PASSWORD);
  await expect(page.getByTestId('count-communicating')).not.toHaveText('0', { timeout: 30_000 });
  // The counts arrive by the server's event stream, not by polling.
  await expect(page.getByTestId('fleet-live')).toHaveText('Live: updated as the meters report');
  await accessible(page);
  await shot(page, testInfo, 'control-fleet');

  await page.getByRole('link', { name: 'Consumers' }).click();
  await expect(page.getByRole('link', { name: consumer })).toBeVisible();
  await shot(page, testInfo, 'control-consumers');
  await page.getByRole('link', { name: consumer }).click();
  await expect(page.getByRole('heading', { name: `Consumer ${consumer}` })).toBeVisible();
  await accessible(page);

  await page.getByRole('button', { name: 'Disconnect' }).click();
  await page.getByLabel('Reason (kept in the audit trail)').fill('tamper reported by the lineman');
  await shot(page, testInfo, 'control-confirm-disconnect');
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByTestId('disconnect-status')).toContainText('succeeded', { timeout: 60_000 });
  await expect(page.getByTestId('holds')).toContainText('operator');
  await expect(page.getByTestId('relay')).toHaveText('Disconnected');
  await shot(page, testInfo, 'control-disconnected');

  await page.getByRole('button', { name: 'Reconnect' }).click();
  await page.getByLabel('Reason (kept in the audit trail)').fill('inspected, seal intact');
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByTestId('reconnect-status')).toContainText('succeeded', { timeout: 60_000 });
  await expect(page.getByTestId('holds')).toHaveText('none');
  await expect(page.getByTestId('relay')).toHaveText('Connected');
  await shot(page, testInfo, 'control-reconnected');

  await page.getByRole('link', { name: 'Audit trail' }).click();
  await expect(page.getByRole('cell', { name: 'operator-disconnect' }).first()).toBeVisible();
  await expect(page.getByRole('cell', { name: 'web:asha' }).first()).toBeVisible();
  await accessible(page);
  await shot(page, testInfo, 'control-audit');
  // The outage the simulator's scenario cut (a DT for 90 simulated minutes) is listed.
  await page.getByRole('link', { name: 'Outages' }).click();
  await expect(page.getByRole('rowheader', { name: process.env.VIDYUT_OUTAGE_DT }).first())
    .toBeVisible({ timeout: 45_000 });
  await accessible(page);
  await shot(page, testInfo, 'control-outages');
  await page.getByRole('link', { name: 'Alerts' }).click();
  await expect(page.getByTestId('alerts-live')).toHaveText('Live: new alerts appear as they arrive');
  await shot(page, testInfo, 'control-alerts');

  await page.getByTestId('language').click();
  await expect(page.getByRole('heading', { name: 'नियंत्रण कक्ष' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'hi');
  await page.getByRole('link', { name: 'मीटर समूह' }).click();
  await accessible(page);
  await shot(page, testInfo, 'control-fleet-hindi');
  await page.getByTestId('language').click();
});

test('a viewer sees the consumer but cannot act', async ({ page }, testInfo) => {
  await signIn(page, 'vikram', process.env.VIDYUT_VIEWER_PASSWORD);
  await page.goto(`/control/#/consumer/${consumer}`);
  await expect(page.getByRole('heading', { name: `Consumer ${consumer}` })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Disconnect' })).toHaveCount(0);
  // And the API refuses him, whatever the page shows.
  const refused = await page.evaluate(async (c) => {
    const s = await (await fetch('/api/v1/session')).json();
    const r = await fetch(`/api/v1/consumers/${c}/disconnect`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf },
      body: JSON.stringify({ reason: 'trying' }) });
    return r.status;
  }, consumer);
  expect(refused).toBe(403);
  await shot(page, testInfo, 'control-viewer-consumer');
});
