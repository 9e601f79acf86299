// Browser half of `cargo xtask bench`: training throughput on each backend (#/bench), the
// time from load to "data ready" with the data already in the browser's cache, the WebGPU
// warm-up, and seed 004's Hyperband search on a 12,000-image subset with the retrained best;
// or (BENCH=soak, `cargo xtask bench --soak`) the memory of 50 runs with checkpoints in one tab.
// One JSON object per line.
import { launch, BASE } from './lab.mjs';

const browser = await launch();
// BENCH=load: only the time from load to "data ready". BENCH=soak: only the memory soak.
const mode = process.env.BENCH ?? 'all';
const full = mode === 'all';
try {
  if (mode === 'soak') await soak();
  else await figures();
} finally {
  await browser.close();
}

async function figures() {
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

// The memory soak: SOAK_RUNS (50) runs of a Dense(SOAK_UNITS = 4096) model with ModelCheckpoint
// on (13 MB of weights each), one after the other in one tab, on the CPU. After each run, one
// line: the worker's wasm memory and the checkpoints it keeps (its console line "worker memory
// after run N: …"), and the page's JavaScript heap. Then the first and last figures.
async function soak() {
  const runs = Number(process.env.SOAK_RUNS ?? 50);
  const units = Number(process.env.SOAK_UNITS ?? 4096);
  const config = {
    name: `soak: Dense(${units}) + ModelCheckpoint`,
    model: { input: 'flat', layers: [{ type: 'dense', units, activation: 'relu' }] },
    optimizer: { type: 'adam', learning_rate: 0.001 },
    batch_size: 128,
    epochs: 1,
    validation_split: 0.2,
    seed: 42,
    callbacks: { model_checkpoint: { monitor: 'val_loss', save_best_only: true } },
  };
  // A share link's `cfg` (src/logic.rs `encode_config`): base64url of the config's JSON.
  const cfg = Buffer.from(JSON.stringify(config)).toString('base64url');
  const page = await (await browser.newContext()).newPage();
  page.on('dialog', (d) => d.accept());
  // The worker's console lines reach the page's 'console' event.
  const MEMORY = /worker memory after run (\d+): ([\d.]+) MB wasm \(checkpoints kept: (\d+), ([\d.]+) MB\)/;
  const lines = [];
  let heard = () => {};
  page.on('console', (m) => {
    const match = MEMORY.exec(m.text());
    if (match) {
      lines.push({ run: Number(match[1]), wasm_mb: Number(match[2]), kept: Number(match[3]), kept_mb: Number(match[4]) });
      heard();
    }
  });
  const nextLine = (count, timeout) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no worker memory line within ${timeout / 1000} s`)), timeout);
    heard = () => { if (lines.length >= count) { clearTimeout(timer); resolve(lines[count - 1]); } };
    heard();
  });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const trainEnabled = () => page.waitForFunction(() => document.querySelector('[data-testid=train]')?.disabled === false, null, { timeout: 600_000 });

  await page.goto(`${BASE}#/step/7?cfg=${cfg}&subset=2000&epochs=1&backend=cpu`);
  await page.locator('[data-testid=data-ready]').waitFor({ timeout: 120_000 });
  await trainEnabled();
  const rows = [];
  for (let n = 1; n <= runs; n++) {
    const t0 = Date.now();
    await page.locator('[data-testid=train]').click();
    const line = await nextLine(n, 600_000);
    await trainEnabled();
    const status = await page.locator('[data-testid=run-status]').textContent();
    if (status === 'finished') await page.locator('[data-testid=test-accuracy]').waitFor({ timeout: 60_000 });
    const heap = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? null);
    const { metrics } = await cdp.send('Performance.getMetrics');
    const cdpHeap = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? null;
    const mb = (bytes) => (bytes == null ? null : Math.round(bytes / 1e5) / 10);
    const row = {
      where: 'browser', what: 'soak', run: n,
      worker_wasm_mb: line.wasm_mb, page_js_heap_mb: mb(heap), page_js_heap_cdp_mb: mb(cdpHeap),
      checkpoints_kept: line.kept, checkpoints_kept_mb: line.kept_mb, status, ms: Date.now() - t0,
    };
    if (status !== 'finished') row.note = 'the run did not finish';
    rows.push(row);
    console.log(JSON.stringify(row));
  }
  const [first, last] = [rows[0], rows.at(-1)];
  console.log(JSON.stringify({
    where: 'browser', what: 'soak_summary', runs: rows.length, model: config.name,
    first_worker_wasm_mb: first?.worker_wasm_mb, last_worker_wasm_mb: last?.worker_wasm_mb,
    worker_growth_mb: last && Math.round((last.worker_wasm_mb - first.worker_wasm_mb) * 10) / 10,
    first_page_js_heap_mb: first?.page_js_heap_mb, last_page_js_heap_mb: last?.page_js_heap_mb,
    max_checkpoints_kept: Math.max(...rows.map((r) => r.checkpoints_kept)),
    finished: rows.filter((r) => r.status === 'finished').length,
  }));
  await page.context().close();
}
