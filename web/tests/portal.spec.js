// The consumer portal: a consumer signs in with the code the SMS gateway stub received, sees
// his balance, supply and consumption graph, in English and Hindi; no other consumer's data and
// no operator route is reachable with his session; no serious accessibility violation.
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { accessible, expectPagePolicy, shot } from './helpers.js';

const consumer = process.env.VIDYUT_CONSUMER;
const other = process.env.VIDYUT_OTHER_CONSUMER;

function smsTo(mobile) {
  return readFileSync(process.env.VIDYUT_SMS_LOG, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    .filter((m) => m.to === mobile);
}

function lastCode(mobile) {
  const lines = readFileSync(process.env.VIDYUT_SMS_LOG, 'utf8').trim().split('\n');
  for (const line of lines.reverse()) {
    const m = JSON.parse(line);
    const code = /(?:code|कोड)\D*(\d{6})/.exec(m.text);
    if (m.to === mobile && code) return code[1];
  }
  throw new Error(`no code for ${mobile}`);
}

test('a consumer signs in with a code and sees his balance and consumption', async ({ page }, testInfo) => {
  const response = await page.goto('/');
  expectPagePolicy(response);
  await accessible(page);
  await shot(page, testInfo, 'portal-sign-in');
  await page.getByLabel('Consumer number').fill(consumer);
  await page.getByRole('button', { name: 'Send code' }).click();
  await expect(page.getByRole('status')).toContainText('code is on its way');
  const code = lastCode(process.env.VIDYUT_CONSUMER_MOBILE);
  await page.getByLabel('Code from the SMS').fill(code);
  await shot(page, testInfo, 'portal-code');
  await page.getByRole('button', { name: 'Sign in' }).click();

  await expect(page.getByTestId('balance')).toHaveText(/^Rs \d{1,3}(,\d{2})*(,\d{3})?\.\d{2}$|^Rs \d+\.\d{2}$/);
  await expect(page.getByTestId('relay')).toHaveText('Connected');
  await expect(page.getByTestId('usage-total')).toContainText('kWh');
  // A recharge through the payment gateway's hosted checkout (the gateway stub): the consumer
  // pays on the gateway's page and comes back; the balance rises by what was paid and the supply
  // stays on.
  const rupeesOf = (text) => Number(text.replace(/[^0-9.]/g, ''));
  const before = rupeesOf(await page.getByTestId('balance').textContent());
  await page.getByLabel('Amount (Rs)').fill('250');
  await page.getByRole('button', { name: 'Pay' }).click();
  await expect(page.getByRole('heading', { name: 'Pay Rs 250.00' })).toBeVisible();
  await shot(page, testInfo, 'portal-gateway-checkout');
  await page.getByRole('button', { name: 'Pay' }).click();
  await expect(page.getByTestId('recharge-status')).toContainText('Paid Rs 250.00');
  expect(new URL(page.url()).search).toBe('');  // the gateway's answer is not left in the address
  // The balance rises by the payment less what the consumption (at 60x) charged meanwhile;
  // the history holds the payment itself, exactly.
  await expect.poll(async () => rupeesOf(await page.getByTestId('balance').textContent()))
    .toBeGreaterThan(before + 200);
  await expect(page.locator('.entries li').filter({ hasText: 'Rs 250.00' }).first()).toContainText('Recharge');
  await expect(page.getByTestId('relay')).toHaveText('Connected');
  await expect(page.getByText('Recharge', { exact: true }).first()).toBeVisible();
  // The recharge's notice reaches his mobile (through the SMS gateway stub) and his messages.
  await expect(page.getByTestId('messages').locator('li[data-kind="recharge"]').filter({ hasText: 'Rs 250.00' }).first())
    .toContainText('sent', { timeout: 30_000 });
  expect(smsTo(process.env.VIDYUT_CONSUMER_MOBILE).some((m) => m.text.startsWith('Recharge of Rs 250.00'))).toBe(true);
  await shot(page, testInfo, 'portal-recharged');
  await expect(page.getByRole('heading', { name: 'Statements and bills' })).toBeVisible();
  // A recharge with a hotspot token (for a meter the network does not reach): 20 digits in fours.
  await expect(page.getByLabel(/hotspot token/)).not.toBeChecked();  // his meter is online
  await page.getByLabel(/hotspot token/).check();
  await page.getByLabel('Amount (Rs)').fill('100');
  await page.getByRole('button', { name: 'Pay' }).click();
  await expect(page.getByRole('heading', { name: 'Pay Rs 100.00' })).toBeVisible();
  await page.getByRole('button', { name: 'Pay' }).click();
  await expect(page.getByTestId('token')).toHaveText(/^\d{4}( \d{4}){4}$/);
  await shot(page, testInfo, 'portal-hotspot-token');
  // A payment cancelled at the gateway: nothing is credited and the portal says so.
  const beforeCancel = rupeesOf(await page.getByTestId('balance').textContent());
  await page.getByLabel('Amount (Rs)').fill('300');
  await page.getByRole('button', { name: 'Pay' }).click();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('alert')).toContainText('did not go through');
  expect(rupeesOf(await page.getByTestId('balance').textContent())).toBeLessThanOrEqual(beforeCancel);
  await page.getByRole('button', { name: 'Hourly' }).click();
  await expect(page.getByRole('button', { name: 'Hourly' })).toHaveAttribute('aria-pressed', 'true');
  await accessible(page);
  await shot(page, testInfo, 'portal-home');

  // His session reaches nobody else's data and no operator route.
  const statuses = await page.evaluate(async (o) => {
    const paths = [`/api/v1/consumers/${o}`, `/api/v1/consumers/${o}/usage`, '/api/v1/fleet', '/api/v1/audit',
      `/api/v1/portal/account?consumer_id=${o}`];
    const out = {};
    for (const p of paths) out[p] = (await fetch(p)).status;
    return out;
  }, other);
  for (const [path, status] of Object.entries(statuses)) {
    expect([400, 401], path).toContain(status);
  }

  await page.getByTestId('language').click();
  await expect(page.getByRole('heading', { name: 'मेरी बिजली' })).toBeVisible();
  await expect(page.getByTestId('balance')).toHaveText(/^रु\. /);
  await expect(page.getByTestId('relay')).toHaveText('चालू');
  await accessible(page);
  await shot(page, testInfo, 'portal-home-hindi');
  await page.getByTestId('language').click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('button', { name: 'Send code' })).toBeVisible();
});

test('a wrong code does not sign in', async ({ page }) => {
  await page.goto('/');
  await page.getByLabel('Consumer number').fill(consumer);
  await page.getByRole('button', { name: 'Send code' }).click();
  await page.getByLabel('Code from the SMS').fill(lastCode(process.env.VIDYUT_CONSUMER_MOBILE) === '000000' ? '111111' : '000000');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('wrong or expired code');
});
