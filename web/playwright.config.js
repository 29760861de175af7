// Browser tests against a running `vidyut serve` (tests/run.sh starts it with a simulated fleet
// and passes its address in VIDYUT_URL). Debian's Chromium, headless; no browser download.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'tests',
  timeout: 90_000,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: process.env.VIDYUT_ARTIFACTS ? `${process.env.VIDYUT_ARTIFACTS}/results` : 'test-results',
  use: {
    baseURL: process.env.VIDYUT_URL || 'http://127.0.0.1:8059',
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
  projects: [
    { name: 'phone', use: { viewport: { width: 360, height: 780 }, isMobile: true, hasTouch: true } },
    { name: 'desktop', use: { viewport: { width: 1366, height: 860 } } },
  ],
});
