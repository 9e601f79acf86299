// Browser half of `cargo xtask bench`: training throughput on each backend (#/bench), the
// time from load to "data ready" with the data already in the browser's cache, the WebGPU
// warm-up, and seed 004's Hyperband search on a 12,000-image subset with the retrained best.
// One JSON object per line.
import { launch, BASE } from './lab.mjs';

const browser = await launch();
// BENCH=load: only the time from load to "data ready".
const full = process.env.BENCH !== 'load';
try {
  for (const backend of full ? ['cpu', 'webgpu'] : []) {
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

  if (full) await trainingFigures();
} finally {
  await browser.close();
}

async function trainingFigures() {
  // WebGPU: time to the first epoch of the baseline, with the kernels warmed up while the
  // learner reads (waiting for the warm-up) and without (training at once).
  for (const wait of [true, false]) {
    const p = await (await browser.newContext()).newPage();
    const warmed = new Promise((resolve) => p.on('console', (m) => { if (/WebGPU warm-up/.test(m.text())) resolve(m.text()); }));
    await p.goto(`${BASE}#/step/5?subset=2000&epochs=1&backend=webgpu`);
    await p.locator('[data-testid=data-ready]').waitFor({ timeout: 120_000 });
    const warmup = wait ? await warmed : null;
    const t = Date.now();
    await p.locator('[data-testid=train]').click();
    await p.waitForFunction(() => Number(document.querySelector('[data-testid=history]')?.dataset.epochs) >= 1, null, { timeout: 600_000 });
    console.log(JSON.stringify({ where: 'browser', backend: 'webgpu', what: 'first_epoch_ms', after_warm_up: wait, warm_up: warmup, ms: Date.now() - t }));
    await p.context().close();
  }

  // Step 8: seed 004's search on 12,000 images, then "retrain best".
  const t = await (await browser.newContext()).newPage();
  await t.goto(`${BASE}#/step/8?subset=12000&backend=cpu`);
  await t.locator('[data-testid=data-ready]').waitFor({ timeout: 120_000 });
  const s0 = Date.now();
  await t.locator('[data-testid=search]').click();
  await t.waitForFunction(() => /search finished/.test(document.querySelector('[data-testid=search-status]')?.textContent), null, { timeout: 1_200_000 });
  const searchMs = Date.now() - s0;
  const best = await t.locator('[data-testid=best-so-far]').textContent();
  const r0 = Date.now();
  await t.locator('[data-testid=retrain-best]').click();
  await t.locator('[data-testid=test-accuracy]').waitFor({ timeout: 600_000 });
  console.log(JSON.stringify({ where: 'browser', backend: 'cpu', what: 'hyperband_seed_004_subset_12000', search_ms: searchMs, best, retrain_ms: Date.now() - r0, test_accuracy: Number(await t.locator('[data-testid=test-accuracy]').textContent()) }));
  await t.context().close();
}
