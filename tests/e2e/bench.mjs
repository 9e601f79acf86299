// Browser half of `cargo xtask bench`: training throughput on each backend (#/bench) and the
// time from load to "data ready" with the data already in the browser's cache. One JSON
// object per line.
import { launch, BASE } from './lab.mjs';

const browser = await launch();
try {
  for (const backend of ['cpu', 'webgpu']) {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${BASE}#/bench?backend=${backend}`);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=bench-results]')?.dataset.count) >= 3, null, { timeout: 600_000 });
    for (const line of (await page.locator('[data-testid=bench-results]').textContent()).split('\n')) {
      if (line.trim()) console.log(line);
    }
    await page.context().close();
  }
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${BASE}#/step/1?backend=cpu`);
  await page.locator('[data-testid=data-ready]').waitFor({ timeout: 120_000 });
  const cold = await page.evaluate(() => performance.now());
  const t0 = Date.now();
  await page.reload();
  await page.locator('[data-testid=data-ready]').waitFor({ timeout: 120_000 });
  const cached = Date.now() - t0;
  const fromCache = /browser cache/.test(await page.locator('[data-testid=data-ready]').textContent());
  console.log(JSON.stringify({ where: 'browser', what: 'load_to_data_ready_ms', first_visit: Math.round(cold), cached_reload: cached, from_cache: fromCache }));
  await page.context().close();
} finally {
  await browser.close();
}
