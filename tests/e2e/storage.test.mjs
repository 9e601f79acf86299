// End-to-end tests of the runs a browser keeps (src/trainer/persist.rs, run_db.rs,
// src/components/my_runs.rs): runs stored in IndexedDB survive a reload and show in a new page
// of the same browser; My runs renames (the chart's legend follows), pins a baseline (drawn
// in another step's chart), deletes, and clears all after a confirmation; run ids continue
// after the stored ones; a write the browser refuses (a full storage) is said, loses nothing
// stored before, and is written again with the next change. A run's final weights and best
// checkpoint are kept too (src/trainer/stored_weights.rs): after a reload and in a new page the
// run is given back to the worker, so "Use the best checkpoint", the downloads, the predictions
// grid and the confusion-matrix drill-down work without training it again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { launch, Lab, BASE } from './lab.mjs';

const QUICK = '#/step/5?subset=2000&epochs=1&backend=cpu';
const SAVE_FULL = "Your newest changes could not be saved in this browser (the browser's storage for this site is full): the runs are still here and the ones saved before are kept, but a reload would lose the newest changes. Deleting runs you no longer need in My runs makes room.";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const trainEnabled = (lab, timeout = 60_000) =>
  lab.page.waitForFunction(() => document.querySelector('[data-testid=train]')?.disabled === false, null, { timeout });

// The stored runs as the database holds them: [{ id, label, reported }], read in the page
// (only once the lab has opened its database, which creates its stores).
const storedRuns = (page) => page.evaluate(() => new Promise((ok, fail) => {
  const open = indexedDB.open('tuning-lab');
  open.onerror = () => fail(open.error);
  open.onsuccess = () => {
    const db = open.result;
    const get = db.transaction('runs').objectStore('runs').getAll();
    get.onerror = () => fail(get.error);
    get.onsuccess = () => {
      db.close();
      ok(get.result.map((text) => JSON.parse(text).run).map((r) => ({ id: r.id, label: r.label, reported: r.report !== null })));
    };
  };
}));

// Waits until the stored runs satisfy `check`.
async function waitStored(page, check, what, timeout = 30_000) {
  const end = Date.now() + timeout;
  let runs;
  for (;;) {
    runs = await storedRuns(page);
    if (check(runs)) return runs;
    if (Date.now() > end) assert.fail(`${what}: stored ${JSON.stringify(runs)}`);
    await page.waitForTimeout(200);
  }
}

const rows = (lab) => lab.page.locator('[data-testid=my-run]');
const row = (lab, id) => lab.page.locator(`[data-testid=my-run][data-run="${id}"]`);
const legend = (lab) => lab.page.locator('[data-testid=legend-item]');

// Waits until `selector` matches `n` elements (the page redraws after a click, not within it).
const waitCount = (lab, selector, n, timeout = 10_000) =>
  lab.page.waitForFunction(([sel, n]) => document.querySelectorAll(sel).length === n, [selector, n], { timeout });
const nameOf = (id) => `[data-testid=my-run][data-run="${id}"] [data-testid=my-run-name]`;
const waitText = (lab, selector, text, timeout = 10_000) =>
  lab.page.waitForFunction(([sel, t]) => document.querySelector(sel)?.textContent === t, [selector, text], { timeout });

// Opens My runs once the stored runs are read (the summary names how many).
async function openMyRuns(lab, count) {
  await lab.page.waitForFunction((n) => document.querySelector('[data-testid=my-runs-toggle]')?.textContent === `My runs (${n})`,
    count, { timeout: 30_000 });
  if (!(await lab.testid('my-runs').evaluate((d) => d.open))) await lab.testid('my-runs-toggle').click();
}

async function trainQuick(lab) {
  await lab.dataReady();
  await trainEnabled(lab);
  await lab.train();
  await lab.results();
  assert.equal(await lab.status(), 'finished');
}

test('a run is kept: after a reload and in a new page, renamed, pinned, deleted; ids go on; clear all asks first', async () => {
  const lab = await Lab.open(browser, QUICK);
  lab.page.on('dialog', (d) => d.accept()); // "leave the page?" while a run is in progress
  let other;
  try {
    await trainQuick(lab);
    const accuracy = (await lab.testid('test-accuracy').textContent()).trim();
    const history = await lab.testid('history').getAttribute('data-history');
    await waitStored(lab.page, (r) => r.length === 1 && r[0].reported, 'the finished run is stored');

    // A reload: the run is listed and its curves are drawn at step 5.
    await lab.page.reload();
    await openMyRuns(lab, 1);
    assert.equal(await rows(lab).count(), 1);
    assert.equal(await row(lab, 1).getAttribute('data-run'), '1');
    assert.match(await row(lab, 1).locator('[data-testid=my-run-test-accuracy]').textContent(), /^0\.\d{4}$/);
    assert.ok(accuracy.length > 0);
    assert.equal(await lab.testid('history').getAttribute('data-history'), history, 'the same curves');
    assert.equal(await legend(lab).count(), 1);
    assert.equal(await lab.testid('session-error').count(), 0);
    await lab.shot('storage-reloaded');

    // Ids continue after the stored ones: the next run is run 2.
    await trainQuick(lab);
    assert.match(await lab.testid('run-name').textContent(), /^run 2 · /);
    await waitStored(lab.page, (r) => r.length === 2 && r.every((x) => x.reported), 'both runs are stored');

    // A new page in the same browser: both runs are there.
    other = new Lab(await lab.page.context().newPage());
    other.page.on('dialog', (d) => d.accept());
    await other.page.goto(BASE + '#/step/5?backend=cpu');
    await openMyRuns(other, 2);
    assert.equal(await rows(other).count(), 2);
    assert.deepEqual(await rows(other).evaluateAll((rs) => rs.map((r) => r.dataset.run)), ['2', '1'], 'newest first');
    assert.equal(await legend(other).count(), 2);

    // Rename run 1: the chart's legend says the new name, and the name is stored.
    await row(other, 1).locator('[data-testid=my-run-rename]').click();
    await other.testid('my-run-name-input').fill('my first baseline');
    await other.testid('my-run-rename-save').click();
    await waitText(other, nameOf(1), 'my first baseline');
    await other.page.waitForFunction(() => [...document.querySelectorAll('[data-testid=legend-item]')]
      .some((b) => b.textContent === 'run 1 · my first baseline'), null, { timeout: 10_000 });
    await waitStored(other.page, (r) => r.some((x) => x.id === 1 && x.label === 'my first baseline'), 'the new name is stored');

    // Pin it as the baseline: step 6's chart draws it.
    await row(other, 1).locator('[data-testid=my-run-pin]').click();
    await other.goto('#/step/6?backend=cpu');
    await other.page.waitForFunction(() => [...document.querySelectorAll('[data-testid=legend-item]')]
      .some((b) => b.textContent === 'run 1 · my first baseline · baseline'), null, { timeout: 10_000 });
    assert.equal(await legend(other).count(), 1, 'only the baseline: step 6 has no run');

    // Delete run 2: gone from the list, the chart and, after a reload, the browser.
    await other.goto('#/step/5?backend=cpu');
    await row(other, 2).locator('[data-testid=my-run-delete]').click();
    await waitCount(other, '[data-testid=my-run]', 1);
    await waitCount(other, '[data-testid=legend-item]', 1);
    await waitStored(other.page, (r) => r.length === 1 && r[0].id === 1, 'run 2 is deleted');
    await other.page.reload();
    await openMyRuns(other, 1);
    assert.equal(await row(other, 2).count(), 0);
    assert.equal(await row(other, 1).locator('[data-testid=my-run-name]').textContent(), 'my first baseline');
    assert.equal(await row(other, 1).locator('[data-testid=my-run-pinned]').count(), 1, 'the pin is kept');
    assert.equal(await legend(other).count(), 1);
    await other.shot('storage-other-page');

    // Clear all asks first; Cancel keeps everything, Delete all deletes it.
    await other.testid('my-runs-clear').click();
    await other.testid('my-runs-clear-question').waitFor();
    assert.match(await other.testid('my-runs-clear-question').textContent(), /^Delete all 1 runs from this browser\? This cannot be undone\./);
    await other.testid('my-runs-clear-cancel').click();
    await other.testid('my-runs-clear').waitFor();
    assert.equal(await rows(other).count(), 1, 'cancelled: nothing deleted');
    await other.testid('my-runs-clear').click();
    await other.testid('my-runs-clear-confirm').click();
    await waitCount(other, '[data-testid=my-run]', 0);
    await waitCount(other, '[data-testid=legend-item]', 0);
    await waitStored(other.page, (r) => r.length === 0, 'everything is deleted');
    await other.page.reload();
    await openMyRuns(other, 0);
    // "Reading the runs…" until the stored ones are read, then none.
    await other.page.waitForFunction(() => document.querySelector('[data-testid=my-runs-empty]')?.textContent.startsWith('No runs yet'),
      null, { timeout: 30_000 });
    assert.equal(await legend(other).count(), 0);

    assert.deepEqual(lab.errors, [], 'no console errors');
    assert.deepEqual(other.errors, [], 'no console errors in the new page');
  } finally {
    await lab.close();
  }
});

// One record of the runs store, as its text, and a record put there as an earlier build did.
const recordText = (page, id) => page.evaluate((id) => new Promise((ok, fail) => {
  const open = indexedDB.open('tuning-lab');
  open.onerror = () => fail(open.error);
  open.onsuccess = () => {
    const db = open.result;
    const get = db.transaction('runs').objectStore('runs').get(id);
    get.onerror = () => fail(get.error);
    get.onsuccess = () => { db.close(); ok(get.result); };
  };
}), id);
const putRecord = (page, id, text) => page.evaluate(([id, text]) => new Promise((ok, fail) => {
  const open = indexedDB.open('tuning-lab');
  open.onerror = () => fail(open.error);
  open.onsuccess = () => {
    const db = open.result;
    const tx = db.transaction('runs', 'readwrite');
    tx.objectStore('runs').put(text, id);
    tx.oncomplete = () => { db.close(); ok(); };
    tx.onerror = () => fail(tx.error);
  };
}), [id, text]);

// The page reads and writes its JSON through the browser's JSON.parse / JSON.stringify
// (src/json.rs); every earlier build wrote it with serde_json. The fixture is such a record (a
// native test checks that it is what serde_json writes): a run whose loss became Infinity, then
// NaN, with an epoch without validation.
test('a run an earlier build stored is listed, and written back as the same JSON when renamed', async () => {
  const fixture = readFileSync(new URL('./fixtures/earlier-build-run.json', import.meta.url), 'utf8').trim();
  const stored = JSON.parse(fixture);
  const lab = await Lab.open(browser, '#/step/5?backend=cpu');
  try {
    await openMyRuns(lab, 0);
    await putRecord(lab.page, 7, fixture);
    await lab.page.reload();
    await openMyRuns(lab, 1);
    assert.equal(await row(lab, 7).locator('[data-testid=my-run-name]').textContent(), stored.run.label);
    assert.equal(await legend(lab).count(), 1, 'its curves are drawn at step 5');
    assert.equal(await lab.testid('session-error').count(), 0, 'nothing unreadable');

    await row(lab, 7).locator('[data-testid=my-run-rename]').click();
    await lab.testid('my-run-name-input').fill('diverged');
    await lab.testid('my-run-rename-save').click();
    await waitStored(lab.page, (r) => r.some((x) => x.id === 7 && x.label === 'diverged'), 'the new name is stored');
    const written = JSON.parse(await recordText(lab.page, 7));
    const expected = structuredClone(stored);
    expected.run.label = 'diverged';
    expected.run.restored = true;
    assert.deepEqual(written, expected, 'the same record, renamed: NaN and Infinity by name, null where serde_json wrote null');
    assert.deepEqual(lab.errors, [], 'no console errors');
  } finally {
    await lab.close();
  }
});

test('a write the browser refuses is said, nothing stored before is lost, and the next change writes it', async () => {
  const lab = await Lab.open(browser, QUICK);
  lab.page.on('dialog', (d) => d.accept());
  try {
    await trainQuick(lab);
    await waitStored(lab.page, (r) => r.length === 1 && r[0].reported, 'run 1 is stored');
    // From now on the browser refuses every write as a full storage does.
    await lab.page.evaluate(() => {
      window.originalPut = IDBObjectStore.prototype.put;
      IDBObjectStore.prototype.put = function () {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      };
    });
    assert.equal(await lab.testid('save-error').count(), 0);
    await trainQuick(lab);
    await lab.testid('save-error').waitFor({ timeout: 30_000 });
    assert.equal(await lab.testid('save-error').textContent(), SAVE_FULL);
    assert.deepEqual((await storedRuns(lab.page)).map((r) => r.id), [1], 'run 1 is kept as it was');
    await openMyRuns(lab, 2);
    assert.equal(await legend(lab).count(), 2, 'the refused run is still on the page');
    await lab.shot('storage-full');

    // Room again: the next change (a new name for run 1) writes it, and run 2 with it.
    await lab.page.evaluate(() => { IDBObjectStore.prototype.put = window.originalPut; });
    await row(lab, 1).locator('[data-testid=my-run-rename]').click();
    await lab.testid('my-run-name-input').fill('kept');
    await lab.testid('my-run-name-input').press('Enter');
    await waitText(lab, nameOf(1), 'kept');
    await lab.testid('save-error').waitFor({ state: 'detached', timeout: 10_000 });
    await waitStored(lab.page, (r) => r.length === 2 && r.every((x) => x.reported), 'both runs are stored');
    await lab.page.reload();
    await openMyRuns(lab, 2);
    assert.equal(await row(lab, 1).locator('[data-testid=my-run-name]').textContent(), 'kept');
    assert.equal(await legend(lab).count(), 2, 'both runs are drawn after the reload');
    assert.deepEqual(lab.errors, [], 'no console errors');
  } finally {
    await lab.close();
  }
});

// The keys of the weights the database holds ("1/final", "1/best"), sorted.
const storedWeights = (page) => page.evaluate(() => new Promise((ok, fail) => {
  const open = indexedDB.open('tuning-lab');
  open.onerror = () => fail(open.error);
  open.onsuccess = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains('weight_sizes')) { db.close(); ok([]); return; }
    const get = db.transaction('weight_sizes').objectStore('weight_sizes').getAllKeys();
    get.onerror = () => fail(get.error);
    get.onsuccess = () => { db.close(); ok([...get.result].sort()); };
  };
}));

async function waitWeights(page, want, timeout = 60_000) {
  const end = Date.now() + timeout;
  let keys;
  for (;;) {
    keys = await storedWeights(page);
    if (JSON.stringify(keys) === JSON.stringify(want)) return;
    if (Date.now() > end) assert.fail(`stored weights ${JSON.stringify(keys)}, expected ${JSON.stringify(want)}`);
    await page.waitForTimeout(200);
  }
}

// The test accuracy of the best checkpoint's results.
const checkpointAccuracy = (lab) => lab.page.locator('section.results', {
  has: lab.page.getByRole('heading', { name: /^Best checkpoint \(epoch \d+\) on the test set$/ }),
}).locator('[data-testid=test-accuracy]');

// Presses "Use the best checkpoint" and waits for the worker's evaluation (seen under way, then
// done, without an error); returns the checkpoint's test accuracy.
async function useCheckpoint(lab) {
  await lab.testid('use-checkpoint').waitFor({ timeout: 120_000 });
  await lab.page.evaluate(() => {
    window.sawEvaluating = false;
    new MutationObserver(() => {
      if (document.querySelector('[data-testid=checkpoint-evaluating]')) window.sawEvaluating = true;
    }).observe(document.body, { childList: true, subtree: true });
  });
  await lab.testid('use-checkpoint').click();
  await lab.page.waitForFunction(() => window.sawEvaluating && !document.querySelector('[data-testid=checkpoint-evaluating]'),
    null, { timeout: 60_000 });
  assert.equal(await lab.testid('checkpoint-error').count(), 0, 'the checkpoint was evaluated');
  return parseFloat(await checkpointAccuracy(lab).textContent());
}

// Downloads the run's `which` weights ("download-weights" or "download-best"); returns the JSON
// header of the safetensors file.
async function downloadHeader(lab, testid) {
  await lab.testid(testid).waitFor({ timeout: 120_000 });
  const [download] = await Promise.all([
    lab.page.waitForEvent('download', { timeout: 60_000 }),
    lab.testid(testid).click(),
  ]);
  assert.match(download.suggestedFilename(), testid === 'download-best' ? /-best\.safetensors$/ : /^[a-z0-9.-]+\.safetensors$/);
  const bytes = readFileSync(await download.path());
  const length = Number(bytes.readBigUInt64LE(0));
  return JSON.parse(bytes.subarray(8, 8 + length).toString('utf8'));
}

test('a run with a best checkpoint survives a reload: the same checkpoint accuracy, downloads, predictions; and in a new page', async () => {
  const lab = await Lab.open(browser, '#/step/7?subset=2000&epochs=2&backend=cpu');
  lab.page.on('dialog', (d) => d.accept());
  let other;
  try {
    await lab.dataReady();
    await trainEnabled(lab);
    await lab.testid('model-checkpoint').check();
    await lab.train();
    await lab.results();
    assert.equal(await lab.status(), 'finished');
    const trained = await useCheckpoint(lab);
    await waitStored(lab.page, (r) => r.length === 1 && r[0].reported, 'the finished run is stored');
    await waitWeights(lab.page, ['1/best', '1/final']);

    // A reload: once the data is loaded the run is given back to the worker (no new run).
    await lab.page.reload();
    await lab.dataReady();
    // The run's results and its best checkpoint's come back from storage.
    await lab.testid('test-accuracy').first().waitFor({ timeout: 60_000 });
    const again = await useCheckpoint(lab);
    assert.ok(Math.abs(again - trained) <= 1e-4, `checkpoint accuracy ${again} after the reload vs ${trained}`);
    const best = await downloadHeader(lab, 'download-best');
    assert.equal(JSON.parse(best.__metadata__.config).subset, 2000, 'the best checkpoint carries the config');
    await downloadHeader(lab, 'download-weights');
    await lab.testid('predictions').waitFor({ timeout: 60_000 });
    await lab.page.waitForFunction(() => document.querySelectorAll('[data-testid=prediction]').length === 24, null, { timeout: 60_000 });
    // A confusion-matrix cell shows its images.
    await lab.page.locator('[data-testid=confusion-matrix] .cm-button').first().click();
    await lab.testid('misclassified-count').waitFor({ timeout: 30_000 });
    assert.equal(await lab.testid('weights-unavailable').count(), 0);
    await openMyRuns(lab, 1);
    assert.equal(await rows(lab).count(), 1, 'no run was added');
    await lab.shot('storage-weights-reloaded');

    // A new page in the same browser: the run is there, with working downloads.
    other = new Lab(await lab.page.context().newPage());
    other.page.on('dialog', (d) => d.accept());
    await other.page.goto(BASE + '#/step/7?backend=cpu');
    await openMyRuns(other, 1);
    await other.dataReady();
    await other.testid('test-accuracy').first().waitFor({ timeout: 60_000 });
    const final = await downloadHeader(other, 'download-weights');
    assert.equal(JSON.parse(final.__metadata__.config).subset, 2000);
    await downloadHeader(other, 'download-best');
    await other.testid('predictions').waitFor({ timeout: 60_000 });
    assert.deepEqual(await storedWeights(other.page), ['1/best', '1/final'], 'nothing stored twice or lost');

    assert.deepEqual(lab.errors, [], 'no console errors');
    assert.deepEqual(other.errors, [], 'no console errors in the new page');
  } finally {
    await lab.close();
  }
});
