// End-to-end tests of what must not wedge the lab: a seed past what a browser carries, a
// model too large for a tab, a crashed training worker, Stop pressed during the WebGPU
// warm-up, a loss that became NaN (and a reload after it), a download that stalls. Each test
// ends with a run trained to its test-set results in the same tab, and no console error but
// the ones it provokes on purpose.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { launch, Lab, BASE } from './lab.mjs';

const QUICK = '#/step/5?subset=2000&epochs=1&backend=cpu';
const BIG_SEED = '9007199254740993'; // 2^53 + 1: not a JavaScript number
const SEED_LIMIT = /9007199254740991 \(2\^53 − 1\)/;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// A share link's `cfg`: base64url of the config's JSON (src/logic.rs `encode_config`). JSON
// text, not an object: a seed past 2^53 has to reach the page digit for digit.
const token = (json) => Buffer.from(json).toString('base64url');
const decodeToken = (t) => Buffer.from(t, 'base64url').toString('utf8');

// The baseline (configs/baseline.json) with `seed`, trained on a subset of 2000 for 1 epoch.
function baselineJson(seed) {
  const base = JSON.parse(readFileSync(new URL('../../configs/baseline.json', import.meta.url), 'utf8'));
  return JSON.stringify({ ...base, epochs: 1, subset: 2000, seed: 0 }).replace('"seed":0', `"seed":${seed}`);
}

async function withLab(hash, fn, provoked = []) {
  const lab = await Lab.open(browser, hash);
  lab.page.on('dialog', (d) => d.accept()); // "leave the page?" while a run is in progress
  try {
    await fn(lab);
    const unexpected = lab.errors.filter((e) => !provoked.some((re) => re.test(e)));
    assert.deepEqual(unexpected, [], 'no console errors');
  } finally {
    await lab.close();
  }
}

const trainEnabled = (lab, timeout = 60_000) =>
  lab.page.waitForFunction(() => document.querySelector('[data-testid=train]')?.disabled === false, null, { timeout });

const statusMatches = (lab, re, timeout) =>
  lab.page.waitForFunction((src) => new RegExp(src).test(document.querySelector('[data-testid=run-status]')?.textContent ?? ''),
    re.source, { timeout });

// The ending of every test: the quick run of step 5 in this tab, trained to its results.
async function trainsToTheEnd(lab, hash = QUICK, timeout = 240_000) {
  await lab.goto(hash);
  await lab.dataReady();
  await trainEnabled(lab);
  const before = await lab.page.locator('[data-testid=legend-item]').count();
  await lab.train();
  await lab.results(timeout);
  assert.equal(await lab.status(), 'finished');
  assert.equal(await lab.epochs(), 1);
  const acc = await lab.testAccuracy();
  assert.ok(acc > 0.4 && acc <= 1, `test accuracy ${acc}`);
  assert.equal(await lab.page.locator('[data-testid=legend-item]').count(), before + 1, 'the run is on the chart');
}

test('a seed past 2^53 − 1 is refused with the field named, wherever it is set, and nothing wedges', async () => {
  await withLab('#/step/3?subset=2000&epochs=1&backend=cpu', async (lab) => {
    await lab.dataReady();
    // Step 3: the protocol's seed.
    await lab.testid('protocol-seed').fill(BIG_SEED);
    await lab.testid('protocol-seed').press('Enter');
    const step3 = await lab.testid('protocol-seed-error').textContent();
    assert.match(step3, /^seed: must be at most/);
    assert.match(step3, SEED_LIMIT);
    assert.match(step3, /got 9007199254740993/);
    await lab.shot('robust-seed-step-3');

    // Step 5: the config editor's seed; the refused one of step 3 was not applied.
    await lab.goto('#/step/5?subset=2000&epochs=1');
    assert.equal(await lab.testid('seed').inputValue(), '42');
    await lab.testid('seed').fill(BIG_SEED);
    await lab.testid('seed').press('Enter');
    const step5 = await lab.testid('seed-error').textContent();
    assert.match(step5, /^seed: must be at most/);
    assert.match(step5, SEED_LIMIT);

    // A share link carrying it: refused, named, and no run is started nor left "training".
    await lab.goto(`#/step/5?subset=2000&epochs=1&cfg=${token(baselineJson(BIG_SEED))}`);
    const link = await lab.testid('url-error').textContent();
    assert.match(link, /invalid value, ignored: cfg\.seed: must be at most/);
    assert.match(link, SEED_LIMIT);
    assert.equal(await lab.testid('train').isDisabled(), false, 'Train stays usable');
    assert.equal(await lab.testid('stop').isDisabled(), true, 'nothing to stop');
    assert.equal(await lab.testid('progress').count(), 0, 'no run was started');
    await lab.shot('robust-seed-link');

    // The link fixed (seed 42): its config is the step's, and it trains.
    await trainsToTheEnd(lab, `#/step/5?cfg=${token(baselineJson(42))}`);
    assert.equal(await lab.testid('url-error').count(), 0);
    assert.equal(await lab.testid('seed').inputValue(), '42');
    const cfg = new URLSearchParams((await lab.page.evaluate(() => location.hash)).split('?')[1]).get('cfg');
    assert.equal(JSON.parse(decodeToken(cfg)).seed, 42, 'the run\'s link carries its seed');
  });
});

// A model far past what a tab holds: 28·28·512 features into Dense(4096), 1.6 billion weights.
const HUGE = JSON.stringify({
  model: { input: 'image', layers: [
    { type: 'conv2d', filters: 512, kernel_size: 1, padding: 'same' },
    { type: 'flatten' },
    { type: 'dense', units: 4096 },
  ] },
  epochs: 1,
  subset: 2000,
});

test('a model too large is refused before it reaches the worker; a crashed worker is replaced and the next run trains', async () => {
  await withLab('#/step/7?backend=cpu', async (lab) => {
    await lab.dataReady();
    await lab.goto(`#/step/7?cfg=${token(HUGE)}`);
    const refusal = await lab.testid('url-error').textContent();
    assert.match(refusal, /cfg\.model\.layers\[2\]\.units: this model has [\d,]+ parameters; the lab allows 50,000,000/);
    assert.equal(await lab.testid('progress').count(), 0);

    // A real crash: an uncaught error in the training worker, mid-run (as a panic ends).
    await lab.goto('#/step/5?subset=10000&epochs=5&backend=cpu');
    await lab.train();
    await lab.testid('speed').waitFor({ timeout: 60_000 }); // batches are being trained
    const workers = () => lab.page.workers().filter((w) => w.url().endsWith('/worker_loader.js'));
    assert.equal(workers().length, 1, `one training worker: ${lab.page.workers().map((w) => w.url())}`);
    const crashed = workers()[0];
    await crashed.evaluate(() => { setTimeout(() => { throw new Error('crash provoked by the test'); }); });
    await statusMatches(lab, /^failed: the training worker crashed/, 10_000);
    const status = await lab.status();
    assert.match(status, /\(out of memory, or an internal error: .*crash provoked by the test\)/);
    assert.match(status, /a fresh worker has been started, so you can train again/);
    await lab.shot('robust-crash');
    assert.equal(await lab.testid('stop').isDisabled(), true, 'nothing left running');
    // The fresh worker loads the data again (from the browser's cache); the crashed one is gone.
    await lab.dataReady();
    assert.match(await lab.backend(), /backend: cpu/);
    for (let i = 0; i < 50 && !(workers().length === 1 && workers()[0] !== crashed); i++) {
      await lab.page.waitForTimeout(100);
    }
    assert.deepEqual(workers().map((w) => w === crashed), [false], 'one worker, a fresh one: the crashed one was ended');
    await trainsToTheEnd(lab);
    // The crashed run stays listed, failed.
    assert.equal(await lab.page.locator('[data-testid=legend-item]').count(), 2);
  }, [/crash provoked by the test/]);
});

test('Stop pressed during the WebGPU warm-up ends the run as stopped, and the tab trains again', async () => {
  await withLab('#/step/1?backend=cpu', async (lab) => {
    // A first visit keeps the data in the browser's cache: on the next it is ready within a
    // second or two, while the warm-up of WebGPU (SwiftShader here) still compiles.
    await lab.dataReady();
    const warmUp = [];
    lab.page.on('console', (m) => { if (/WebGPU warm-up/.test(m.text())) warmUp.push(m.text()); });
    await lab.page.goto('about:blank');
    await lab.page.goto(`${BASE}#/step/5?subset=10000&epochs=3&backend=webgpu`);
    await lab.dataReady();
    assert.match(await lab.testid('data-ready').textContent(), /read from the browser cache/);
    assert.match(await lab.backend(), /backend: webgpu/);
    await lab.train();
    await lab.page.waitForTimeout(30);
    await lab.testid('stop').click();
    await statusMatches(lab, /stopped/, 60_000);
    assert.ok((await lab.epochs()) < 3, `trained ${await lab.epochs()} epochs after Stop`);
    assert.match(warmUp.join('\n'), /WebGPU warm-up cut short/, 'Train and Stop came during the warm-up');
    await trainEnabled(lab);
    assert.match(await lab.status(), /^stopped by you/);
    await lab.shot('robust-stop-warm-up');
    await trainsToTheEnd(lab, '#/step/5?subset=2000&epochs=1', 120_000);
  });
});

// Two linear Dense(256) under SGD(10, momentum 0.9): the loss overflows within a few batches;
// TerminateOnNaN is off, so training goes on.
const DIVERGES = JSON.stringify({
  name: 'diverges: SGD lr 10',
  model: { input: 'flat', layers: [
    { type: 'dense', units: 256, activation: 'linear' },
    { type: 'dense', units: 256, activation: 'linear' },
  ] },
  optimizer: { type: 'sgd', learning_rate: 10, momentum: 0.9 },
  batch_size: 32,
  epochs: 2,
  subset: 2000,
  callbacks: { terminate_on_nan: false },
});

test('a run whose loss became NaN says so once, survives a reload, and the tab trains again', async () => {
  await withLab(`#/step/6?backend=cpu&cfg=${token(DIVERGES)}`, async (lab) => {
    await lab.dataReady();
    assert.equal(await lab.testid('url-error').count(), 0);
    await lab.train();
    await lab.results();
    const status = await lab.status();
    assert.match(status, /^finished · the loss became NaN at epoch 1, batch \d+ \(TerminateOnNaN is off, so training went on\)$/);
    assert.equal(status.split('the loss became NaN').length - 1, 1, 'said once');
    assert.equal(await lab.epochs(), 2);
    await lab.shot('robust-nan');

    await lab.page.reload();
    await lab.dataReady();
    assert.match(await lab.page.evaluate(() => location.hash), /^#\/step\/6/);
    assert.equal(await lab.testid('session-error').count(), 0, 'the saved runs were read back');
    assert.equal(await lab.status(), status);
    assert.equal(await lab.epochs(), 2);
    assert.equal(await lab.page.locator('[data-testid=legend-item]').count(), 1);
    await lab.shot('robust-nan-reloaded');
    await trainsToTheEnd(lab);
  });
});

// A data server of the test's own, on another origin: the four files, except that while
// `stall` is set one of them sends its headers and a few bytes, then nothing.
async function dataServer(dir, stalled) {
  const state = { stall: true, requests: [] };
  const server = http.createServer((req, res) => {
    const name = new URL(req.url, 'http://x').pathname.split('/').pop();
    state.requests.push(name);
    const cors = { 'access-control-allow-origin': '*' };
    if (req.method === 'OPTIONS') { res.writeHead(204, { ...cors, 'access-control-allow-headers': '*' }).end(); return; }
    let bytes;
    try { bytes = readFileSync(`${dir}${name}`); } catch { res.writeHead(404, cors).end(); return; }
    res.writeHead(200, { ...cors, 'content-type': 'application/gzip', 'content-length': bytes.length });
    if (name === stalled && state.stall) {
      res.write(bytes.subarray(0, 100)); // ... and never more
    } else {
      res.end(bytes);
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    state,
    url: `http://127.0.0.1:${server.address().port}/fm/`,
    close: () => new Promise((ok) => { server.close(ok); server.closeAllConnections(); }),
  };
}

test('a download that stalls is aborted with a message naming the file, and Retry loads the data', async () => {
  const dist = process.env.LAB_DIST ?? new URL('../../dist/', import.meta.url).pathname;
  const stalled = 'train-images-idx3-ubyte.gz';
  const server = await dataServer(`${dist}data/fashion-mnist/`, stalled);
  const data = `data=${encodeURIComponent(server.url)}`;
  try {
    // A fresh context: the Cache API holds no copy, so every file is downloaded.
    await withLab(`#/step/5?subset=2000&epochs=1&backend=cpu&${data}`, async (lab) => {
      // Data from another origin: the lab asks first.
      await lab.testid('data-confirm-load').click();
      const t0 = Date.now();
      await lab.testid('data-loading').waitFor();
      await lab.testid('data-error').waitFor({ timeout: 35_000 });
      const seconds = (Date.now() - t0) / 1000;
      assert.ok(seconds > 15, `gave up after ${seconds} s`);
      assert.match(await lab.testid('data-error').textContent(),
        /The data could not be loaded: the download of train-images-idx3-ubyte\.gz stalled \(no data for 20 s\)/);
      assert.ok(await lab.testid('data-retry').isVisible());
      assert.ok(server.state.requests.includes(stalled), `asked: ${server.state.requests}`);
      await lab.shot('robust-stalled');

      server.state.stall = false;
      await lab.testid('data-retry').click();
      await lab.dataReady();
      assert.match(await lab.testid('data-ready').textContent(), new RegExp(`from ${server.url.replace(/[.]/g, '\\.')}`));
      assert.equal(server.state.requests.filter((n) => n === stalled).length, 2, 'downloaded again');
      await trainsToTheEnd(lab, `${QUICK}&${data}`);
    });
  } finally {
    await server.close();
  }
});

// The worker logs "worker memory after run N: …" when each train job ends.
const workerRunsEnded = (lab) => {
  const ended = [];
  lab.page.on('console', (m) => { if (/worker memory after run \d+: /.test(m.text())) ended.push(m.text()); });
  return ended;
};

// The baseline (configs/baseline.json) with ModelCheckpoint, 1 epoch on a subset of 2000.
const checkpointed = (name) => JSON.stringify({
  ...JSON.parse(readFileSync(new URL('../../configs/baseline.json', import.meta.url), 'utf8')),
  name, epochs: 1, subset: 2000,
  callbacks: { model_checkpoint: { monitor: 'val_loss', save_best_only: true } },
});

test('the worker keeps the best checkpoints of the newest 20 runs; an older one says so, and the tab trains again', async () => {
  await withLab(`#/step/6?backend=cpu&cfg=${token(checkpointed('step 6, checkpointed'))}`, async (lab) => {
    const ended = workerRunsEnded(lab);
    await lab.dataReady();
    await trainEnabled(lab);
    await lab.train();
    await lab.results();
    assert.ok(await lab.testid('use-checkpoint').isVisible());
    // 20 newer runs with checkpoints at step 7: step 6's is the 21st newest.
    await lab.goto(`#/step/7?backend=cpu&cfg=${token(checkpointed('step 7, checkpointed'))}`);
    for (let n = 2; n <= 21; n++) {
      await trainEnabled(lab);
      await lab.train();
      const t0 = Date.now();
      while (ended.length < n) {
        assert.ok(Date.now() - t0 < 60_000, `run ${n} did not end within 60 s`);
        await lab.page.waitForTimeout(100);
      }
    }
    assert.match(ended.at(-1), /worker memory after run \d+: [\d.]+ MB wasm \(checkpoints kept: 20, [\d.]+ MB\)/);
    await trainEnabled(lab);
    await lab.results();
    await lab.testid('use-checkpoint').click();
    await lab.page.getByText(/Best checkpoint \(epoch 1\) on the test set/).waitFor({ timeout: 60_000 });

    await lab.goto('#/step/6?backend=cpu');
    await lab.results();
    await lab.testid('use-checkpoint').click();
    await lab.testid('checkpoint-error').waitFor({ timeout: 30_000 });
    assert.match(await lab.testid('checkpoint-error').textContent(),
      /this run's best checkpoint is no longer kept: the lab keeps the best checkpoints of the newest 20 runs \(256 MB at most\); train it again to get it back/);
    assert.equal(await lab.status(), 'finished', 'the run itself is as it was');
    await lab.shot('robust-checkpoint-dropped');
    await trainsToTheEnd(lab);
  });
});

// Dense(4096) on the CPU: evaluating the 10,000 test images takes seconds.
const SLOW_TO_EVALUATE = JSON.stringify({
  name: 'slow to evaluate: Dense(4096)',
  model: { input: 'flat', layers: [{ type: 'dense', units: 4096, activation: 'relu' }] },
  optimizer: { type: 'adam', learning_rate: 0.001 },
  batch_size: 128,
  epochs: 1,
  subset: 2000,
});

test('Stop pressed during the test-set evaluation ends the run there, its history kept, and the tab trains again', async () => {
  await withLab(`#/step/6?backend=cpu&cfg=${token(SLOW_TO_EVALUATE)}`, async (lab) => {
    await lab.dataReady();
    await trainEnabled(lab);
    await lab.train();
    await statusMatches(lab, /evaluating on the test set/, 120_000);
    const t0 = Date.now();
    await lab.testid('stop').click();
    await statusMatches(lab, /stopped by you/, 10_000);
    const ms = Date.now() - t0;
    assert.ok(ms < 5000, `stopped after ${ms} ms`);
    await trainEnabled(lab);
    assert.match(await lab.status(), /stopped by you during the test-set evaluation|^stopped by you$/);
    assert.equal(await lab.epochs(), 1, 'the history is kept');
    assert.equal(await lab.testid('test-accuracy').count(), 0, 'no test results');
    await lab.shot('robust-stop-in-evaluation');
    await trainsToTheEnd(lab);
  });
});
