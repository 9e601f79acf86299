// End-to-end tests of the shell (src/app.rs, src/components/data_status.rs): a hash that
// names no page says so, and a link's data from another origin is loaded only when the
// learner confirms it (a full storage is tested in storage.test.mjs). Each
// test ends with a run trained to its test-set results in the same tab, and no console error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { launch, Lab, BASE } from './lab.mjs';

const QUICK = '#/step/5?subset=2000&epochs=1&backend=cpu';
const SHOWING = 'the lab has steps 1 to 8. Showing step 1.';
const SAVE_FULL = "Your runs could not be saved in this tab's storage (it is full): they are still here, but a reload would lose the newest ones.";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function withLab(hash, fn) {
  const lab = await Lab.open(browser, hash);
  lab.page.on('dialog', (d) => d.accept()); // "leave the page?" while a run is in progress
  try {
    await fn(lab);
    assert.deepEqual(lab.errors, [], 'no console errors');
  } finally {
    await lab.close();
  }
}

const trainEnabled = (lab, timeout = 60_000) =>
  lab.page.waitForFunction(() => document.querySelector('[data-testid=train]')?.disabled === false, null, { timeout });

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

// Waits until the navigation marks step `n` as the one shown.
const shows = (lab, n) => lab.page.waitForFunction(
  (id) => document.querySelector('nav li.active a')?.dataset.testid === id, `nav-step-${n}`, { timeout: 5_000 });

test('a hash that names no page says so and shows step 1; a real step has no notice', async () => {
  await withLab('#/step/999?backend=cpu', async (lab) => {
    const notice = lab.testid('route-notice');
    assert.equal(await notice.textContent(), `There is no step 999 — ${SHOWING}`);
    await shows(lab, 1);
    await lab.dataReady();
    await lab.shot('shell-unknown-step');

    for (const [hash, text] of [
      ['#/step/0', `There is no step 0 — ${SHOWING}`],
      ['#/step/abc', `There is no step abc — ${SHOWING}`],
      ['#/lessons', `There is no page “lessons” in this lab — ${SHOWING}`],
    ]) {
      await lab.goto(hash);
      await lab.page.waitForFunction((t) => document.querySelector('[data-testid=route-notice]')?.textContent === t, text, { timeout: 5_000 });
      await shows(lab, 1);
    }

    // A step of the lab: the notice goes.
    await lab.goto('#/step/2');
    await notice.waitFor({ state: 'detached', timeout: 5_000 });
    await shows(lab, 2);
    await lab.goto('#/step/1');
    assert.equal(await lab.testid('route-notice').count(), 0);

    await trainsToTheEnd(lab);
    assert.equal(await lab.testid('route-notice').count(), 0);
  });
});

// A data server of the test's own, on another origin than the lab's (another port): the four
// files with CORS, every request counted.
async function dataServer(dir) {
  const state = { requests: [] };
  const server = http.createServer((req, res) => {
    const name = new URL(req.url, 'http://x').pathname.split('/').pop();
    state.requests.push(name);
    const cors = { 'access-control-allow-origin': '*' };
    if (req.method === 'OPTIONS') { res.writeHead(204, { ...cors, 'access-control-allow-headers': '*' }).end(); return; }
    let bytes;
    try { bytes = readFileSync(`${dir}${name}`); } catch { res.writeHead(404, cors).end(); return; }
    res.writeHead(200, { ...cors, 'content-type': 'application/gzip', 'content-length': bytes.length }).end(bytes);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    state,
    origin,
    url: `${origin}/fm/`,
    close: () => new Promise((ok) => { server.close(ok); server.closeAllConnections(); }),
  };
}

const DIST = process.env.LAB_DIST ?? new URL('../../dist/', import.meta.url).pathname;
const confirmText = (origin) =>
  `This link loads its training data from ${origin} — not from this lab. Data from elsewhere can be altered (e.g. wrong labels). Load it?`;

test('a link whose data is on another origin loads nothing until the learner chooses; the lab\'s own data then trains', async () => {
  const server = await dataServer(`${DIST}data/fashion-mnist/`);
  assert.notEqual(server.origin, new URL(BASE).origin, 'the server is another origin than the lab');
  const data = `data=${encodeURIComponent(server.url)}`;
  try {
    await withLab(`${QUICK}&${data}`, async (lab) => {
      await lab.testid('data-confirm').waitFor({ timeout: 30_000 });
      assert.equal(await lab.page.locator('[data-testid=data-confirm] p').textContent(), confirmText(server.origin));
      assert.equal(await lab.testid('data-confirm-load').textContent(), 'Load it');
      assert.equal(await lab.testid('data-confirm-default').textContent(), "Use the lab's own data");
      // The status says it waits for the choice (no "0.0 / 0.0 MB").
      assert.match(await lab.testid('data-waiting').textContent(), /waits for your choice/);
      assert.equal(await lab.testid('data-loading').count(), 0);
      // The worker is up, and still nothing was asked of the other origin.
      assert.match(await lab.backend(), /backend: cpu/);
      await lab.page.waitForTimeout(2_000);
      assert.deepEqual(server.state.requests, [], 'nothing loaded before the choice');
      await lab.shot('shell-data-confirm');

      await lab.testid('data-confirm-default').click();
      await lab.dataReady();
      assert.equal(await lab.testid('data-confirm').count(), 0);
      assert.equal(await lab.testid('data-waiting').count(), 0);
      const ready = await lab.testid('data-ready').textContent();
      assert.ok(!ready.includes(server.origin), `the lab's own data: ${ready}`);
      assert.deepEqual(server.state.requests, [], 'nothing loaded from the other origin');
      await trainsToTheEnd(lab);
      assert.deepEqual(server.state.requests, [], 'nothing loaded from the other origin');

      // A link whose data is on the lab's own origin loads at once, without asking.
      await lab.page.goto('about:blank');
      await lab.page.goto(`${BASE}#/step/1?backend=cpu&data=${encodeURIComponent('./data/fashion-mnist/')}`);
      await lab.dataReady();
      assert.equal(await lab.testid('data-confirm').count(), 0);
    });
  } finally {
    await server.close();
  }
});

test('a link whose data is on another origin loads it when the learner confirms, and trains', async () => {
  const server = await dataServer(`${DIST}data/fashion-mnist/`);
  const data = `data=${encodeURIComponent(server.url)}`;
  try {
    await withLab(`${QUICK}&${data}`, async (lab) => {
      await lab.testid('data-confirm').waitFor({ timeout: 30_000 });
      await lab.backend();
      assert.deepEqual(server.state.requests, [], 'nothing loaded before the choice');
      await lab.testid('data-confirm-load').click();
      await lab.dataReady();
      assert.equal(await lab.testid('data-confirm').count(), 0);
      assert.match(await lab.testid('data-ready').textContent(), new RegExp(`from ${server.url.replace(/[.]/g, '\\.')}`));
      for (const file of ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) {
        assert.ok(server.state.requests.includes(file), `asked for ${file}: ${server.state.requests}`);
      }
      await trainsToTheEnd(lab, `${QUICK}&${data}`);
    });
  } finally {
    await server.close();
  }
});

test('a step whose code does not arrive says so, and "Try again" opens it once it can', async () => {
  // Without the service worker, which would serve the piece from its cache (hosting.test.mjs).
  const context = await browser.newContext({ viewport: { width: 1300, height: 1000 }, serviceWorkers: 'block' });
  const lab = new Lab(await context.newPage());
  try {
    await lab.page.goto(BASE + QUICK);
    await lab.dataReady();
    // Step 8's piece of the page is fetched the first time step 8 is opened: the network fails it.
    let fail = true;
    await context.route(/tuning-lab-split_tune_step-[0-9a-f]+\.wasm$/, (route) => (fail ? route.abort() : route.continue()));
    await lab.goto('#/step/8');
    await lab.testid('page-load-error').waitFor({ timeout: 30_000 });
    assert.match(await lab.testid('page-load-error').textContent(), /could not be loaded/);
    assert.equal(await lab.testid('nav-step-8').count(), 1, 'the navigation is still there');
    await lab.shot('shell-step-not-loaded');
    fail = false;
    await lab.testid('page-load-retry').click();
    await lab.testid('search-hypermodel-field').waitFor({ timeout: 30_000 });
    assert.equal(await lab.testid('page-load-error').count(), 0, 'the message went with its cause');
    // The failed fetch is all the console may have reported.
    assert.deepEqual(lab.errors.filter((e) => !/tune_step|Failed to load resource|Failed to fetch|TypeError/.test(e)), []);
    lab.errors.length = 0;
    await trainsToTheEnd(lab);
    assert.deepEqual(lab.errors, [], 'no console errors');
  } finally {
    await lab.close();
  }
});
