// Page object of Tuning Lab for the end-to-end tests (playwright-core + Debian's Chromium).
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

export const BASE = process.env.LAB_URL ?? 'http://127.0.0.1:8080/';
export const SHOTS = new URL('./screenshots/', import.meta.url).pathname;
mkdirSync(SHOTS, { recursive: true });

const ARGS = ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--enable-unsafe-webgpu'];

export async function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ARGS });
}

// Messages the browser prints that are not the lab's errors.
const BENIGN = [/integrity.*attribute is currently ignored/i, /deprecated parameters for the initialization/i];

export class Lab {
  constructor(page) {
    this.page = page;
    this.errors = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && !BENIGN.some((re) => re.test(m.text()))) this.errors.push(m.text());
    });
    page.on('pageerror', (e) => this.errors.push(`pageerror: ${e.message}`));
  }

  /** `onReceived` sees every request of the page and its workers that got an answer (from the
   *  server or a cache), from the first. */
  static async open(browser, hash = '#/step/1', onReceived = null) {
    const context = await browser.newContext({ viewport: { width: 1300, height: 1000 } });
    if (onReceived) context.on('requestfinished', onReceived);
    const lab = new Lab(await context.newPage());
    await lab.page.goto(BASE + hash);
    return lab;
  }

  testid(id) { return this.page.locator(`[data-testid="${id}"]`); }
  async goto(hash) { await this.page.evaluate((h) => { location.hash = h; }, hash); }
  async dataReady() { await this.testid('data-ready').waitFor({ timeout: 90_000 }); }
  async backend() { await this.page.waitForFunction(() => !document.querySelector('[data-testid=backend]')?.textContent.includes('starting'), null, { timeout: 60_000 }); return this.testid('backend').textContent(); }
  async train() { await this.testid('train').click(); }
  async epochs() { return Number(await this.testid('history').getAttribute('data-epochs')); }
  async waitEpochs(n, timeout = 240_000) {
    await this.page.waitForFunction((n) => Number(document.querySelector('[data-testid=history]')?.dataset.epochs) >= n, n, { timeout });
  }
  async results(timeout = 240_000) { await this.testid('test-accuracy').waitFor({ timeout }); }
  async testAccuracy() { return parseFloat(await this.testid('test-accuracy').textContent()); }
  async status() { return this.testid('run-status').textContent(); }
  async shot(name) { await this.page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true }); }
  async close() { await this.page.context().close(); }
}
