// End-to-end tests: what a learner does and sees, in a real Chromium (WebGPU = SwiftShader).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { launch, Lab, BASE } from './lab.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function withLab(hash, fn) {
  const lab = await Lab.open(browser, hash);
  try {
    await fn(lab);
    assert.deepEqual(lab.errors, [], 'no console errors');
  } finally {
    await lab.close();
  }
}

test('walks through steps 1–7', async () => {
  await withLab('#/step/1', async (lab) => {
    await lab.dataReady();
    assert.equal(await lab.page.locator('[data-testid=class-row]').count(), 10);
    assert.equal(await lab.page.locator('[data-testid=class-grid] canvas').count(), 80);
    assert.match(await lab.testid('naive-baseline').textContent(), /10\.0 %/);
    await lab.shot('step-1');
    await lab.goto('#/step/2');
    await lab.testid('metric-macro_f1').check();
    assert.match(await lab.testid('chosen-metric').textContent(), /macro-F1/);
    await lab.shot('step-2');
    await lab.goto('#/step/3');
    assert.equal(await lab.testid('split-sizes').textContent(), 'train 48000 · validation 12000 · test 10000');
    await lab.testid('protocol-split').fill('0.1');
    await lab.testid('protocol-split').press('Enter');
    assert.equal(await lab.testid('split-sizes').textContent(), 'train 54000 · validation 6000 · test 10000');
    await lab.testid('protocol-split').fill('1.5');
    await lab.testid('protocol-split').press('Enter');
    // Refused beside the field as it is typed; the field keeps what was typed.
    assert.match(await lab.testid('protocol-split-error').textContent(), /validation_split/);
    assert.equal(await lab.testid('protocol-split').inputValue(), '1.5');
    await lab.shot('step-3');
    await lab.goto('#/step/4');
    await lab.testid('preview').waitFor();
    await lab.testid('norm-standardize').check();
    await lab.page.waitForFunction(() => /-\d/.test(document.querySelector('[data-testid=preview]').textContent));
    await lab.shot('step-4');
    for (const step of [5, 6, 7]) {
      await lab.goto(`#/step/${step}`);
      await lab.testid('model-summary').waitFor();
      await lab.shot(`step-${step}`);
    }
    // Step 7 offers the regularizers and the callbacks.
    await lab.testid('early-stopping').waitFor();
    assert.ok(await lab.page.locator('[data-testid=layer]').count() >= 4);
    // The chosen metric is kept in browser storage: it survives a reload.
    await lab.goto('#/step/2');
    await lab.page.reload();
    assert.match(await lab.testid('chosen-metric').textContent(), /macro-F1/);
  });
});

/** The loader scripts of the page's running workers (one per worker build). */
function workerLoaders(lab) {
  return lab.page.workers().map((w) => new URL(w.url()).pathname.split('/').pop());
}

test('with only a software WebGPU adapter the lab starts the CPU worker alone, and says why', async () => {
  // What was received (the service worker's look into the HTTP cache for a worker's files
  // fails, with nothing downloaded, for the worker that was not used).
  const received = [];
  const lab = await Lab.open(browser, '#/step/1', (r) => received.push(new URL(r.url()).pathname));
  try {
    await lab.dataReady();
    assert.match(await lab.backend(), /^backend: cpu · .*\(software fallback\)/);
    assert.match(await lab.page.locator('.badge-note').textContent(), /only WebGPU adapter is a software fallback/);
    assert.deepEqual(workerLoaders(lab), ['worker_loader.js']);
    assert.ok(received.some((p) => p.endsWith('/worker_bg.wasm')), `the CPU worker was downloaded: ${received}`);
    assert.ok(!received.some((p) => p.includes('worker-webgpu')), `the WebGPU worker was not: ${received}`);
    assert.deepEqual(lab.errors, [], 'no console errors');
  } finally {
    await lab.close();
  }
});

for (const backend of ['cpu', 'webgpu']) {
  test(`step 5 trains the baseline on ${backend}`, async () => {
    await withLab(`#/step/5?subset=2000&epochs=2&backend=${backend}`, async (lab) => {
      await lab.dataReady();
      assert.match(await lab.backend(), new RegExp(`backend: ${backend}`));
      // The page starts the one worker build this backend needs.
      assert.deepEqual(workerLoaders(lab), [backend === 'webgpu' ? 'worker-webgpu_loader.js' : 'worker_loader.js']);
      await lab.train();
      await lab.results(300_000);
      assert.equal(await lab.epochs(), 2);
      const acc = await lab.testAccuracy();
      assert.ok(acc > 0.4 && acc <= 1, `test accuracy ${acc}`);
      assert.equal(await lab.page.locator('[data-testid=confusion-matrix] td').count(), 100);
      assert.match(await lab.testid('speed').textContent(), /samples\/s/);
      assert.ok(await lab.page.locator('[data-testid=history] svg polyline, [data-testid=history] svg path').count() > 0);
      // A confusion-matrix cell shows those misclassified test images.
      await lab.page.locator('[data-testid=confusion-matrix] td.clickable').first().click();
      await lab.testid('misclassified').waitFor();
      assert.ok(await lab.page.locator('[data-testid=misclassified] canvas').count() > 0);
      await lab.shot(`step-5-${backend}`);
    });
  });
}

test('Stop ends a run within 2 s and keeps its curves', async () => {
  await withLab('#/step/6?subset=20000&epochs=40&backend=cpu', async (lab) => {
    await lab.dataReady();
    await lab.backend();
    await lab.train();
    await lab.waitEpochs(1);
    const t0 = Date.now();
    await lab.testid('stop').click();
    await lab.page.waitForFunction(() => /stopped by you/.test(document.querySelector('[data-testid=run-status]')?.textContent ?? ''), null, { timeout: 10_000 });
    const ms = Date.now() - t0;
    assert.ok(ms < 2000, `stopped after ${ms} ms`);
    assert.ok((await lab.epochs()) >= 1);
    // After the test-set evaluation of what was trained, a new run can start.
    await lab.page.waitForFunction(() => !document.querySelector('[data-testid=train]').disabled, null, { timeout: 60_000 });
    assert.equal(await lab.status(), 'stopped by you');
  });
});

test('step 7 with ModelCheckpoint, overlaid on step 6; the best checkpoint is evaluated', async () => {
  await withLab('#/step/6?subset=3000&epochs=12&backend=cpu', async (lab) => {
    await lab.dataReady();
    await lab.backend();
    await lab.train();
    await lab.results();
    await lab.goto('#/step/7?subset=3000&epochs=8&backend=cpu');
    await lab.testid('model-checkpoint').check();
    await lab.train();
    await lab.results();
    const actions = await lab.testid('callback-actions').textContent();
    assert.match(actions, /checkpoint: saved the weights of epoch 1/);
    // Two runs on the chart: this one and step 6's.
    assert.equal(await lab.page.locator('[data-testid=legend-item]').count(), 2);
    await lab.testid('use-checkpoint').click();
    await lab.page.getByText(/Best checkpoint \(epoch \d+\) on the test set/).waitFor();
    await lab.shot('step-7-regularized');
  });
});

test('a corrupt data file shows a clear error, and the lab stays usable', async () => {
  const dist = process.env.LAB_DIST ?? new URL('../../dist/', import.meta.url).pathname;
  const good = `${dist}data/fashion-mnist/`;
  const bad = `${dist}corrupt-data/`;
  mkdirSync(bad, { recursive: true });
  cpSync(good, bad, { recursive: true });
  const labels = readFileSync(`${good}train-labels-idx1-ubyte.gz`);
  writeFileSync(`${bad}train-labels-idx1-ubyte.gz`, labels.subarray(0, labels.length / 2));
  assert.ok(existsSync(`${bad}train-images-idx3-ubyte.gz`));
  await withLab('#/step/1?data=./corrupt-data/', async (lab) => {
    await lab.testid('data-error').waitFor({ timeout: 90_000 });
    assert.match(await lab.testid('data-error').textContent(), /train-labels-idx1-ubyte\.gz.*(gzip|truncated|corrupt)/i);
    assert.ok(await lab.testid('data-retry').isVisible());
    await lab.goto('#/step/2');
    await lab.testid('metric-accuracy').waitFor();
    await lab.shot('data-error');
  });
});

test('an invalid URL value is refused with the field named', async () => {
  await withLab('#/step/5?epochs=abc&backend=cpu', async (lab) => {
    await lab.dataReady();
    assert.match(await lab.testid('url-error').textContent(), /epochs/);
    assert.equal(await lab.testid('epochs').inputValue(), '5');
    await lab.testid('batch-size').fill('0');
    await lab.testid('batch-size').press('Enter');
    assert.match(await lab.testid('batch-size-error').textContent(), /batch_size/);
    // Nothing snaps back: the learner sees what they typed, and why it is refused.
    assert.equal(await lab.testid('batch-size').inputValue(), '0');
  });
});

test('a reload mid-run keeps the curves of the interrupted run, and training starts again', async () => {
  await withLab('#/step/5?epochs=20&backend=cpu', async (lab) => {
    lab.page.on('dialog', (d) => d.accept()); // the "leave the page?" prompt of a running lab
    await lab.dataReady();
    await lab.train();
    await lab.waitEpochs(2);
    await lab.page.reload();
    await lab.dataReady();
    await lab.page.waitForFunction(() => Number(document.querySelector('[data-testid=history]')?.dataset.epochs) >= 2, null, { timeout: 10_000 });
    assert.match(await lab.status(), /interrupted by a page reload after epoch \d+/);
    assert.equal(await lab.testid('train').isDisabled(), false);
    await lab.train();
    await lab.page.waitForFunction(() => /training/.test(document.querySelector('[data-testid=run-status]')?.textContent), null, { timeout: 30_000 });
    await lab.testid('stop').click();
  });
});

test('step 8: Stop keeps the finished trials; a tiny Hyperband search fills the table, exports, and the best is retrained', async () => {
  await withLab('#/step/8?subset=2000', async (lab) => {
    await lab.dataReady();
    // Seed 004's search: Hyperband(max_epochs 5, factor 3) = 10 trials, 31 epochs.
    assert.equal(await lab.testid('plan').getAttribute('data-trials'), '10');
    assert.equal(await lab.testid('plan').getAttribute('data-total-epochs'), '31');
    assert.equal(await lab.page.locator('[data-testid=hp-row]').count(), 11);

    // Stop at any time keeps what finished.
    await lab.testid('search').click();
    await lab.page.waitForFunction(() => document.querySelectorAll('[data-testid=trial-row][data-status=completed]').length >= 1, null, { timeout: 120_000 });
    await lab.testid('stop-search').click();
    await lab.page.waitForFunction(() => /stopped by you/.test(document.querySelector('[data-testid=search-status]')?.textContent), null, { timeout: 10_000 });
    assert.ok(await lab.page.locator('[data-testid=trial-row][data-status=completed]').count() >= 1);
    assert.match(await lab.testid('best-so-far').textContent(), /val_accuracy 0\.\d{4}/);

    // Bad input: factor 1 is refused with the field named, and nothing can run.
    await lab.testid('factor').fill('1');
    await lab.testid('factor').press('Enter');
    assert.match(await lab.testid('search-invalid').textContent(), /algorithm\.factor/);
    assert.equal(await lab.testid('search').isDisabled(), true);

    // max_epochs 2, factor 2: brackets 1 (2 trials × 1 epoch, then the best to epoch 2) and 0 (2 × 2).
    await lab.testid('factor').fill('2');
    await lab.testid('factor').press('Enter');
    await lab.testid('max-epochs').fill('2');
    await lab.testid('max-epochs').press('Enter');
    assert.equal(await lab.testid('plan').getAttribute('data-trials'), '5');
    assert.equal(await lab.testid('plan').getAttribute('data-total-epochs'), '7');
    await lab.testid('search').click();
    await lab.page.waitForFunction(() => /search finished/.test(document.querySelector('[data-testid=search-status]')?.textContent), null, { timeout: 240_000 });
    assert.equal(await lab.page.locator('[data-testid=trial-row][data-status=completed]').count(), 5);
    assert.equal(await lab.testid('trial-chart').getAttribute('data-trials'), '5');
    assert.match(await lab.testid('trial-table').textContent(), /1 → 2 \(from 000\d\)/, 'a promoted trial continues its parent');
    // Sorting by score (best first on the first click) puts the best trial on top.
    await lab.testid('sort-score').click();
    const first = lab.page.locator('[data-testid=trial-row]').first();
    assert.match(await first.getAttribute('class') ?? '', /best/);
    await lab.testid('best-values').waitFor();
    await lab.shot('step-8');

    const [csv] = await Promise.all([lab.page.waitForEvent('download'), lab.testid('export-csv').click()]);
    assert.equal(csv.suggestedFilename(), 'trials.csv');
    const lines = readFileSync(await csv.path(), 'utf8').trim().split('\n');
    assert.equal(lines.length, 6);
    assert.match(lines[0], /^trial_id,bracket,round,initial_epoch,epochs,parent,status,score,n_layers,units_0/);
    const [json] = await Promise.all([lab.page.waitForEvent('download'), lab.testid('export-json').click()]);
    assert.equal(JSON.parse(readFileSync(await json.path(), 'utf8')).length, 5);

    // Retrain the best: a step-8 run with test accuracy, beside steps 5–7.
    await lab.testid('retrain-best').click();
    await lab.results();
    assert.ok(await lab.testAccuracy() > 0.5);
    await lab.testid('compare-8').waitFor();
    await lab.shot('step-8-retrained');
  });
});

// A fresh page whose data file `file` is held back until `release('load')` (or answered 404
// once by `release('fail')`): the data is still loading for as long as the test needs (the
// worker's fetches go through the context's routes).
async function openHeld(hash, file = /train-images-idx3-ubyte/) {
  const context = await browser.newContext({ viewport: { width: 1300, height: 1000 } });
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  let failed = false;
  await context.route(file, async (route) => {
    if ((await held) === 'fail' && !failed) {
      failed = true;
      await route.fulfill({ status: 404, body: 'held back by the test' });
    } else {
      await route.continue();
    }
  });
  const lab = new Lab(await context.newPage());
  await lab.page.goto(BASE + hash);
  return { lab, release };
}

test('Train pressed while the data loads is accepted, says it waits, and runs once the data is ready', async () => {
  const { lab, release } = await openHeld('#/step/5?subset=2000&epochs=2&backend=cpu');
  try {
    await lab.testid('train').waitFor();
    await lab.testid('data-loading').waitFor();
    assert.equal(await lab.testid('train').isDisabled(), false, 'Train can be pressed while the data loads');
    assert.match(await lab.testid('run-will-wait').textContent(), /starts when the data is ready/);
    await lab.train();
    // Accepted: the panel says so, with the loading progress, and Stop would cancel it.
    assert.match(await lab.testid('run-waiting').textContent(), /The run starts when the data is ready.*Stop cancels it/);
    assert.equal(await lab.testid('run-waiting').locator('progress').count(), 1);
    assert.equal(await lab.testid('train').isDisabled(), true);
    assert.equal(await lab.testid('stop').isDisabled(), false);
    assert.equal(await lab.testid('data-ready').count(), 0, 'the data is still loading');
    await lab.shot('step-5-train-waits-for-the-data');
    release('load');
    await lab.results(300_000);
    assert.equal(await lab.epochs(), 2);
    assert.ok((await lab.testAccuracy()) > 0.4);
    // Nothing stale: no waiting line, no error, and no "not loaded" anywhere.
    for (const id of ['run-waiting', 'run-will-wait', 'run-dropped', 'run-error', 'config-error']) {
      assert.equal(await lab.testid(id).count(), 0, `${id} is gone`);
    }
    assert.doesNotMatch(await lab.page.locator('main').textContent(), /not loaded/);
    assert.deepEqual(lab.errors, [], 'no console errors');
  } finally {
    release('load');
    await lab.close();
  }
});

test('Stop cancels a Train that waits for the data; if the data fails, the waiting run is dropped with the reason', async () => {
  const { lab, release } = await openHeld('#/step/5?subset=2000&epochs=2&backend=cpu', /train-labels-idx1-ubyte/);
  try {
    await lab.testid('train').waitFor();
    await lab.train();
    await lab.testid('run-waiting').waitFor();
    await lab.testid('stop').click();
    assert.equal(await lab.testid('run-waiting').count(), 0, 'cancelled');
    assert.equal(await lab.testid('train').isDisabled(), false);
    assert.equal(await lab.testid('stop').isDisabled(), true);
    await lab.train();
    await lab.testid('run-waiting').waitFor();
    release('fail');
    await lab.testid('data-error').waitFor({ timeout: 90_000 });
    assert.match(await lab.testid('run-dropped').textContent(), /The run did not start: the data could not be loaded/);
    assert.equal(await lab.testid('run-waiting').count(), 0);
    assert.equal(await lab.testid('train').isDisabled(), true, 'no data: Train waits for a retry');
    assert.equal(await lab.testid('progress').count(), 0, 'no run was started');
    // The message goes with its cause: Retry loads the data again.
    await lab.testid('data-retry').click();
    await lab.dataReady();
    assert.equal(await lab.testid('run-dropped').count(), 0);
    assert.equal(await lab.testid('train').isDisabled(), false);
    // The failed file is the browser's answer to the test, not the lab's error.
    assert.deepEqual(lab.errors.filter((e) => !/404|Failed to load resource/.test(e)), [], 'no console errors');
  } finally {
    release('load');
    await lab.close();
  }
});
