import AxeBuilder from '@axe-core/playwright';
import { expect } from '@playwright/test';

const artifacts = process.env.VIDYUT_ARTIFACTS || 'test-results';

// A full-page screenshot kept as an artifact: <project>-<name>.png.
export async function shot(page, testInfo, name) {
  await page.screenshot({ path: `${artifacts}/screenshots/${testInfo.project.name}-${name}.png`, fullPage: true });
}

// No serious or critical accessibility violation on the page as it is now.
export async function accessible(page) {
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
}

// Headers every page carries.
export function expectPagePolicy(response) {
  const policy = response.headers()['content-security-policy'] || '';
  expect(policy).toContain("default-src 'self'");
  expect(policy).toContain("frame-ancestors 'none'");
  expect(response.headers()['x-content-type-options']).toBe('nosniff');
}
