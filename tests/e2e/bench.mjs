// Browser half of `cargo xtask bench`: training throughput on each backend (#/bench), the
// time from load to "data ready" with the data already in the browser's cache, the WebGPU
// adapter's own matrix-product throughput, the WebGPU warm-up, the small CNN's step-6 run on
// WebGPU, seed 004's Hyperband search on a 12,000-image subset with the retrained best, and
// IMDB on the CPU path (vectorizing the 25,000 training reviews, one epoch of the regularized
// text model, the worker's memory); or (BENCH=soak, `cargo xtask bench --soak`) the memory of
// 50 runs with checkpoints in one tab; or (BENCH=imdb, `cargo xtask bench --imdb`) the IMDB
// lines alone. One JSON object per line.
import { launch, BASE } from './lab.mjs';

const browser = await launch();
// BENCH=load: only the time from load to "data ready". BENCH=soak: only the memory soak.
// BENCH=imdb: only the IMDB lines.
const mode = process.env.BENCH ?? 'all';
const full = mode === 'all';
try {
  if (mode === 'soak') await soak();
  else if (mode === 'imdb') await imdbFigures();
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

  if (full) {
    await webgpuMatmul();
    await trainingFigures();
    await imdbFigures();
  }
}

// IMDB on the CPU path, all the data (20,000 training / 5,000 validation reviews, 10,000 TF-IDF
// features), read from the worker's console lines (src/worker/imdb.rs, src/worker/memory.rs):
// vectorizing the 25,000 training reviews (fit + transform) and the 25,000 test reviews, done
// by the first run; one epoch of step 7's regularized model (Dense 128-64, L2 1e-3, Dropout
// 0.5, batch 512, class weights) as the run's history times it; and the worker's wasm memory
// after that run (the reviews, their rows and the run's weights kept).
async function imdbFigures() {
  const VECTORIZED = /vectorized (\d+) training reviews in ([\d.]+) s and (\d+) test reviews in ([\d.]+) s \((\d+) features/;
  const EPOCHS = /IMDB run (\d+) epoch seconds: ([\d.]+)/;
  const MEMORY = /worker memory after run (\d+): ([\d.]+) MB wasm/;
  const seen = {};
  const page = await (await browser.newContext()).newPage();
  page.on('console', (m) => {
    for (const [key, re] of [['vectorized', VECTORIZED], ['epoch', EPOCHS], ['memory', MEMORY]]) {
      const match = re.exec(m.text());
      if (match && !seen[key]) seen[key] = match;
    }
  });
  const heard = async (key, timeout) => {
    for (const end = Date.now() + timeout; !seen[key] && Date.now() < end;) await page.waitForTimeout(100);
    return seen[key];
  };
  const line = (what, fields, key) => console.log(JSON.stringify({
    where: 'browser', backend: 'cpu', what, ...(seen[key] ? fields(seen[key]) : { error: `no worker console line for ${what}` }),
  }));
  const t0 = Date.now();
  await page.goto(`${BASE}#/step/7?dataset=imdb&epochs=1&backend=cpu`);
  await page.waitForFunction(() => /IMDB reviews ready/.test(document.querySelector('[data-testid=data-ready]')?.textContent ?? ''), null, { timeout: 300_000 });
  const readyMs = Date.now() - t0;
  await page.waitForFunction(() => document.querySelector('[data-testid=train]')?.disabled === false, null, { timeout: 120_000 });
  const t1 = Date.now();
  await page.locator('[data-testid=train]').click();
  await page.locator('[data-testid=test-accuracy]').waitFor({ timeout: 1_200_000 });
  const runMs = Date.now() - t1;
  const accuracy = Number(await page.locator('[data-testid=test-accuracy]').textContent());
  await heard('memory', 30_000);
  line('imdb_vectorize_s', (m) => ({
    train_reviews: Number(m[1]), train_seconds: Number(m[2]), test_reviews: Number(m[3]), test_seconds: Number(m[4]), features: Number(m[5]),
  }), 'vectorized');
  line('imdb_regularized_epoch_s', (m) => ({
    train_reviews: 20000, seconds: Number(m[2]), run_ms_with_vectorizing_and_test: runMs, test_accuracy: accuracy,
  }), 'epoch');
  line('imdb_worker_memory_mb', (m) => ({ run: Number(m[1]), wasm_mb: Number(m[2]), load_to_reviews_ready_ms: readyMs }), 'memory');
  await page.context().close();
}

// The WebGPU adapter's own matrix-product throughput, as a yardstick for the WebGPU figures
// (on SwiftShader, the CPU emulating the GPU): a tiled WGSL kernel (64×64 outputs per
// workgroup, 16-wide tiles of both inputs in workgroup memory, 4×4 outputs per invocation),
// n×n by n×n, timed over three dispatches after one.
async function webgpuMatmul() {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${BASE}#/step/1`);
  const figures = await page.evaluate(async () => {
    const adapter = await navigator.gpu?.requestAdapter();
    if (!adapter) return [{ error: 'no WebGPU adapter' }];
    const device = await adapter.requestDevice();
    const out = [];
    for (const n of [512, 1024]) {
      const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
      const [a, b, c] = [0, 1, 2].map(() => device.createBuffer({ size: n * n * 4, usage }));
      const values = new Float32Array(n * n).map((_, i) => (i % 97) / 97);
      device.queue.writeBuffer(a, 0, values);
      device.queue.writeBuffer(b, 0, values);
      const code = `@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
var<workgroup> ta: array<array<f32, 64>, 16>;
var<workgroup> tb: array<array<f32, 64>, 16>;
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  let n = ${n}u;
  let row0 = w.y * 64u;
  let col0 = w.x * 64u;
  var acc: array<array<f32, 4>, 4>;
  for (var k0 = 0u; k0 < n; k0 += 16u) {
    for (var i = 0u; i < 4u; i++) {
      ta[l.x][l.y * 4u + i] = A[(row0 + l.y * 4u + i) * n + k0 + l.x];
      tb[l.y][l.x * 4u + i] = B[(k0 + l.y) * n + col0 + l.x * 4u + i];
    }
    workgroupBarrier();
    for (var k = 0u; k < 16u; k++) {
      for (var i = 0u; i < 4u; i++) {
        let av = ta[k][l.y * 4u + i];
        for (var j = 0u; j < 4u; j++) { acc[i][j] += av * tb[k][l.x * 4u + j]; }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    for (var j = 0u; j < 4u; j++) { C[(row0 + l.y * 4u + i) * n + col0 + l.x * 4u + j] = acc[i][j]; }
  }
}`;
      const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' } });
      const group = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [a, b, c].map((buffer, binding) => ({ binding, resource: { buffer } })) });
      const dispatch = async () => {
        const encoder = device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, group);
        pass.dispatchWorkgroups(n / 64, n / 64);
        pass.end();
        device.queue.submit([encoder.finish()]);
        await device.queue.onSubmittedWorkDone();
      };
      await dispatch();
      const t = performance.now();
      for (let r = 0; r < 3; r++) await dispatch();
      const seconds = (performance.now() - t) / 3000;
      out.push({ n, gflop_per_s: Number((2 * n ** 3 / seconds / 1e9).toFixed(2)), ms: Math.round(seconds * 1000) });
    }
    return out.map((f) => ({ adapter: `${adapter.info?.vendor ?? ''} ${adapter.info?.architecture ?? ''}`.trim(), ...f }));
  });
  for (const f of figures) console.log(JSON.stringify({ where: 'browser', backend: 'webgpu', what: 'adapter_matmul', ...f }));
  await page.context().close();
}

// Step 6 with `query`, the small-CNN preset (and `batch`, when given) chosen, Train pressed:
// the page and when Train was pressed.
async function smallCnnAtStep6(query, batch) {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${BASE}#/step/6?${query}`);
  await page.locator('[data-testid=data-ready]').waitFor({ timeout: 120_000 });
  await page.locator('[data-testid=preset-small-cnn]').click();
  if (batch) {
    await page.locator('[data-testid=batch-size]').fill(batch);
    await page.locator('[data-testid=batch-size]').press('Enter');
  }
  await page.waitForFunction(() => document.querySelector('[data-testid=train]')?.disabled === false, null, { timeout: 120_000 });
  const t = Date.now();
  await page.locator('[data-testid=train]').click();
  return { page, t };
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

  // The small CNN at step 6 on WebGPU (2,000 images, one epoch): the epoch (1,600 training
  // and 400 validation images, the kernels compiled on first use included), then the test
  // report on the 10,000 test images.
  {
    const { page, t } = await smallCnnAtStep6('subset=2000&epochs=1&backend=webgpu');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=history]')?.dataset.epochs) >= 1, null, { timeout: 1_200_000 });
    const epochMs = Date.now() - t;
    await page.locator('[data-testid=test-accuracy]').waitFor({ timeout: 1_200_000 });
    const testMs = Date.now() - t - epochMs;
    const accuracy = Number(await page.locator('[data-testid=test-accuracy]').textContent());
    console.log(JSON.stringify({ where: 'browser', backend: 'webgpu', what: 'small_cnn_step_6', subset: 2000, epoch_ms: epochMs, test_report_ms: testMs, test_images: 10000, test_accuracy: accuracy }));
    await page.context().close();
  }

  // Issue 15's fidelity check on the CPU path: the small CNN on 12,000 images (9,600 training,
  // 2,400 validation) for 5 epochs at configs/cnn.json's batch size (128), its test accuracy
  // and the run's wall time.
  {
    const { page, t } = await smallCnnAtStep6('subset=12000&epochs=5&backend=cpu', '128');
    await page.locator('[data-testid=test-accuracy]').waitFor({ timeout: 1_200_000 });
    console.log(JSON.stringify({ where: 'browser', backend: 'cpu', what: 'small_cnn_subset_12000_5_epochs', batch: 128, run_ms: Date.now() - t, epochs: Number(await page.locator('[data-testid=history]').getAttribute('data-epochs')), test_accuracy: Number(await page.locator('[data-testid=test-accuracy]').textContent()) }));
    await page.context().close();
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
