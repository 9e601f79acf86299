// End-to-end tests of the IMDB half: the data set chosen by the link (`dataset=imdb`), the
// reviews trained on both backends with test accuracy, F1 and a 2×2 confusion matrix whose
// cells list reviews, step 1's sample reviews, and Fashion-MNIST still training afterwards;
// exercise ticks kept per data set; an IMDB run after a reload on Fashion-MNIST (listed as
// IMDB, given back to the worker once IMDB is chosen); the IMDB steps' wording.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, Lab } from './lab.mjs';

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

// The data line says which data set is ready: the reviews take longer than the images
// (25 MB, and the first vectorizing happens when the first run starts).
async function imdbReady(lab) {
  await lab.page.waitForFunction(
    () => /IMDB reviews ready/.test(document.querySelector('[data-testid=data-ready]')?.textContent ?? ''),
    null, { timeout: 180_000 });
}

for (const backend of ['cpu', 'webgpu']) {
  test(`step 5 trains the IMDB baseline on ${backend}`, async () => {
    await withLab(`#/step/5?dataset=imdb&subset=2000&epochs=1&backend=${backend}`, async (lab) => {
      await imdbReady(lab);
      assert.match(await lab.backend(), new RegExp(`backend: ${backend}`));
      assert.match(await lab.testid('model-input').textContent(), /10,000 TF-IDF features/);
      assert.equal(await lab.testid('dataset-imdb').getAttribute('aria-current'), 'true');
      await lab.train();
      await lab.results(300_000);
      assert.equal(await lab.epochs(), 1);
      const acc = await lab.testAccuracy();
      assert.ok(acc > 0.5 && acc <= 1, `test accuracy ${acc}`);
      const f1 = parseFloat(await lab.testid('f1').textContent());
      assert.ok(f1 > 0.3 && f1 <= 1, `F1 ${f1}`);
      await lab.testid('why-f1').waitFor();
      // 2×2, the classes named.
      assert.equal(await lab.page.locator('[data-testid=confusion-matrix] td').count(), 4);
      assert.match(await lab.testid('confusion-matrix').textContent(), /negative[\s\S]*positive/);
      // A red cell lists those misclassified test reviews, their top terms highlighted.
      await lab.page.locator('[data-testid=confusion-matrix] td.clickable button').first().click();
      await lab.testid('misclassified').waitFor({ timeout: 60_000 });
      await lab.page.locator('[data-testid=misclassified] [data-testid=review]').first().waitFor({ timeout: 60_000 });
      assert.ok(await lab.page.locator('[data-testid=misclassified] [data-testid=review]').count() > 0);
      assert.ok(await lab.page.locator('[data-testid=misclassified] mark').count() > 0, 'top terms highlighted');
      await lab.shot(`imdb-step-5-${backend}`);
    });
  });
}

test('step 1 on IMDB shows sample reviews, the class counts and the naive baseline', async () => {
  await withLab('#/step/1?dataset=imdb', async (lab) => {
    await imdbReady(lab);
    await lab.testid('sample-review').first().waitFor();
    assert.ok(await lab.page.locator('[data-testid=sample-review]').count() >= 2);
    const labels = await lab.page.locator('[data-testid=sample-review] .review-label').allTextContents();
    assert.ok(labels.includes('negative') && labels.includes('positive'), labels.join());
    assert.equal(await lab.page.locator('[data-testid=class-row]').count(), 2);
    assert.match(await lab.testid('naive-baseline').textContent(), /50\.0 %/);
    assert.match(await lab.testid('data-credit').textContent(), /Maas et al/);
    await lab.shot('imdb-step-1');
  });
});

test('an unknown data set in the link is said, and Fashion-MNIST is used', async () => {
  await withLab('#/step/1?dataset=cifar', async (lab) => {
    assert.match(await lab.testid('url-error').textContent(), /dataset: must be fashion-mnist or imdb/);
    await lab.dataReady();
    assert.match(await lab.testid('data-ready').textContent(), /Fashion-MNIST ready/);
    assert.equal(await lab.page.locator('[data-testid=class-row]').count(), 10);
  });
});

test('switching back to Fashion-MNIST keeps the IMDB run and still trains', async () => {
  await withLab('#/step/5?dataset=imdb&subset=2000&epochs=1&backend=cpu', async (lab) => {
    await imdbReady(lab);
    await lab.train();
    await lab.results(300_000);
    await lab.testid('dataset-fashion-mnist').click();
    await lab.page.waitForFunction(
      () => /Fashion-MNIST ready/.test(document.querySelector('[data-testid=data-ready]')?.textContent ?? ''),
      null, { timeout: 90_000 });
    // The step's image model: Dense(10) on the 784 pixels.
    await lab.page.waitForFunction(() => /7,850/.test(document.querySelector('[data-testid=model-summary]')?.textContent ?? ''));
    // The IMDB run is not this data set's: no results shown until a Fashion-MNIST run.
    assert.equal(await lab.testid('test-accuracy').count(), 0);
    await lab.train();
    await lab.results(300_000);
    assert.equal(await lab.page.locator('[data-testid=confusion-matrix] td').count(), 100);
    // Back on IMDB, its run is there again.
    await lab.testid('dataset-imdb').click();
    await imdbReady(lab);
    await lab.testid('f1').waitFor();
    assert.equal(await lab.page.locator('[data-testid=confusion-matrix] td').count(), 4);
  });
});

const PROGRESS_KEY = 'tuning-lab.progress.v1';
const ticked = (lab, n) => lab.testid(`done-${n}`).textContent().then((t) => t.includes('✓'));
const chosen = (lab, id) => lab.page.waitForFunction(
  (id) => document.querySelector(`[data-testid=${id}]`)?.getAttribute('aria-current') === 'true', id, { timeout: 10_000 });

test('progress stored before IMDB came is Fashion-MNIST\'s, and IMDB has its own ticks', async () => {
  await withLab('#/step/1?dataset=fashion-mnist', async (lab) => {
    await lab.testid('done-5').waitFor({ state: 'attached' });
    await lab.page.evaluate((key) => localStorage.setItem(key, JSON.stringify({ done: [5, 6], metric: 'accuracy' })), PROGRESS_KEY);
    await lab.page.reload();
    await lab.page.waitForFunction(() => document.querySelector('[data-testid=done-5]')?.textContent.includes('✓'), null, { timeout: 10_000 });
    assert.ok(await ticked(lab, 6));
    assert.ok(!(await ticked(lab, 7)));
    await lab.testid('dataset-imdb').click();
    await chosen(lab, 'dataset-imdb');
    for (const n of [5, 6, 7, 8]) assert.ok(!(await ticked(lab, n)), `step ${n} is not ticked on IMDB`);
    await lab.testid('dataset-fashion-mnist').click();
    await chosen(lab, 'dataset-fashion-mnist');
    assert.ok(await ticked(lab, 5) && await ticked(lab, 6));
    const saved = JSON.parse(await lab.page.evaluate((key) => localStorage.getItem(key), PROGRESS_KEY));
    assert.deepEqual(saved.done, [5, 6]);
    assert.deepEqual(saved.imdb_done, []);
  });
});

test('an exercise passed on Fashion-MNIST is not ticked on IMDB, after a reload either', async () => {
  // The baseline on all the data reaches val_accuracy 0.80 in its first epoch (0.82).
  await withLab('#/step/5?dataset=fashion-mnist&epochs=1&backend=cpu', async (lab) => {
    await lab.dataReady();
    await lab.train();
    await lab.results(300_000);
    await lab.page.waitForFunction(() => document.querySelector('[data-testid=done-5]')?.textContent.includes('✓'), null, { timeout: 10_000 });
    await lab.testid('dataset-imdb').click();
    await chosen(lab, 'dataset-imdb');
    assert.ok(!(await ticked(lab, 5)), 'step 5 is not ticked on IMDB');
    // The link keeps `dataset=imdb`: after a reload IMDB is still unticked.
    await lab.page.reload();
    await chosen(lab, 'dataset-imdb');
    await lab.testid('done-5').waitFor({ state: 'attached' });
    assert.ok(!(await ticked(lab, 5)), 'step 5 is not ticked on IMDB after a reload');
    await lab.testid('dataset-fashion-mnist').click();
    await chosen(lab, 'dataset-fashion-mnist');
    await lab.page.waitForFunction(() => document.querySelector('[data-testid=done-5]')?.textContent.includes('✓'), null, { timeout: 30_000 });
    const saved = JSON.parse(await lab.page.evaluate((key) => localStorage.getItem(key), PROGRESS_KEY));
    assert.deepEqual(saved.done, [5]);
    assert.deepEqual(saved.imdb_done, []);
  });
});

// The keys of the weights the database holds ("1/final", "1/best").
const storedWeights = (page) => page.evaluate(() => new Promise((ok, fail) => {
  const open = indexedDB.open('tuning-lab');
  open.onerror = () => fail(open.error);
  open.onsuccess = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains('weight_sizes')) { db.close(); ok([]); return; }
    const get = db.transaction('weight_sizes').objectStore('weight_sizes').getAllKeys();
    get.onerror = () => fail(get.error);
    get.onsuccess = () => { db.close(); ok([...get.result]); };
  };
}));

test('after a reload on Fashion-MNIST an IMDB run is listed as IMDB, kept out of the image steps, and given back once IMDB is chosen', async () => {
  await withLab('#/step/5?dataset=imdb&subset=2000&epochs=1&backend=cpu', async (lab) => {
    lab.page.on('dialog', (d) => d.accept());
    const notGivenBack = [];
    lab.page.on('console', (m) => { if (/could not be given back/.test(m.text())) notGivenBack.push(m.text()); });
    await imdbReady(lab);
    await lab.train();
    await lab.results(300_000);
    // Its final weights are stored before the reload.
    for (const end = Date.now() + 60_000; !(await storedWeights(lab.page)).includes('1/final');) {
      assert.ok(Date.now() < end, 'the IMDB run\'s weights are stored');
      await lab.page.waitForTimeout(200);
    }
    await lab.goto('#/step/5?dataset=fashion-mnist&backend=cpu');
    await lab.page.reload();
    await lab.page.waitForFunction(
      () => /Fashion-MNIST ready/.test(document.querySelector('[data-testid=data-ready]')?.textContent ?? ''),
      null, { timeout: 90_000 });
    // Listed, named as IMDB's.
    await lab.page.waitForFunction(() => document.querySelector('[data-testid=my-runs-toggle]')?.textContent === 'My runs (1)', null, { timeout: 30_000 });
    await lab.testid('my-runs-toggle').click();
    assert.equal(await lab.testid('my-run-dataset').textContent(), 'IMDB');
    assert.equal(await lab.testid('my-run').getAttribute('data-dataset'), 'imdb');
    // Not mixed into the image step: no results, no run to pick.
    await lab.testid('model-summary').waitFor();
    assert.equal(await lab.testid('test-accuracy').count(), 0);
    // The worker holds the images, not the reviews: the IMDB run waits (it is not failed).
    await lab.page.waitForTimeout(3_000);
    assert.deepEqual(notGivenBack, [], 'no run failed to be given back');
    // Chosen again: the reviews load, the run is given back, its results and drill-down work.
    await lab.testid('dataset-imdb').click();
    await imdbReady(lab);
    await lab.testid('f1').waitFor({ timeout: 60_000 });
    await lab.page.waitForFunction(
      () => !document.querySelector('[data-testid=weights-unavailable]') && document.querySelector('[data-testid=download-weights]'),
      null, { timeout: 300_000 });
    await lab.page.locator('[data-testid=confusion-matrix] td.clickable button').first().click();
    await lab.page.locator('[data-testid=misclassified] [data-testid=review]').first().waitFor({ timeout: 60_000 });
    assert.deepEqual(notGivenBack, [], 'no run failed to be given back');
  });
});

test('the IMDB steps speak of reviews: the subset field, step 8\'s space and plan, the page title', async () => {
  await withLab('#/step/5?dataset=imdb', async (lab) => {
    assert.equal(await lab.page.title(), 'Tuning Lab — neural networks in your browser');
    await lab.testid('model-summary').waitFor();
    assert.match(await lab.page.locator('label.field', { hasText: 'subset' }).first().textContent(), /all reviews/);
    await lab.goto('#/step/8?dataset=imdb');
    await lab.testid('reset-space').waitFor();
    assert.match(await lab.testid('reset-space').textContent(), /64, 128 or 256 units/);
    assert.match(await lab.testid('plan-total').textContent(), /training reviews/);
    await lab.testid('text-search').waitFor();
    assert.equal(await lab.testid('cnn-search-note').count(), 0);
    // Fashion-MNIST keeps its own words.
    await lab.testid('dataset-fashion-mnist').click();
    await chosen(lab, 'dataset-fashion-mnist');
    await lab.page.waitForFunction(() => /128 or 256 units/.test(document.querySelector('[data-testid=reset-space]')?.textContent ?? '')
      && !/64, 128/.test(document.querySelector('[data-testid=reset-space]')?.textContent ?? ''), null, { timeout: 10_000 });
    await lab.testid('cnn-search-note').waitFor();
    await lab.goto('#/step/5?dataset=fashion-mnist');
    await lab.testid('model-summary').waitFor();
    assert.match(await lab.page.locator('label.field', { hasText: 'subset' }).first().textContent(), /all images/);
  });
});

test('steps 6 and 7 on IMDB offer the text experiments; the batch-size one trains its two runs', async () => {
  await withLab('#/step/6?dataset=imdb&subset=2000&epochs=1&backend=cpu', async (lab) => {
    lab.page.on('dialog', (d) => d.accept());
    await lab.testid('experiments').waitFor();
    // The reviews' own experiments, not the images'.
    assert.equal(await lab.testid('experiment-learning-rate').count(), 0);
    assert.equal(await lab.testid('experiment-imdb-batch-size-cost').textContent(), '2 runs × 1 epoch on 2,000 reviews');
    await imdbReady(lab);
    await lab.page.waitForFunction(() => document.querySelector('[data-testid=experiment-imdb-batch-size-run]')?.disabled === false, null, { timeout: 60_000 });
    await lab.testid('experiment-imdb-batch-size-run').click();
    await lab.testid('experiment-imdb-batch-size-look-for').waitFor({ timeout: 600_000 });
    assert.match(await lab.testid('experiment-imdb-batch-size-look-for').textContent(), /reviews/);
    const items = await lab.page.$$eval('[data-testid=legend-item]', (els) => els.map((e) => e.textContent));
    assert.equal(items.filter((t) => /batch 32 · .*subset 2000/.test(t)).length, 1, items.join('\n'));
    assert.equal(items.filter((t) => /batch 512 · .*subset 2000/.test(t)).length, 1, items.join('\n'));
    await lab.goto('#/step/7?dataset=imdb');
    await lab.testid('experiment-imdb-class-weights').waitFor();
    assert.match(await lab.testid('experiment-imdb-class-weights').textContent(), /positive weighted 2/);
    assert.equal(await lab.testid('experiment-class-weights').count(), 0);
  });
});

test('the decision threshold on IMDB: 1.5 is refused naming the field and Train waits; 0.7 applies; Fashion-MNIST has none', async () => {
  await withLab('#/step/5?dataset=imdb&subset=2000&epochs=1&backend=cpu', async (lab) => {
    await imdbReady(lab);
    await lab.page.waitForFunction(() => document.querySelector('[data-testid=train]')?.disabled === false, null, { timeout: 60_000 });
    assert.equal(await lab.testid('threshold').inputValue(), '0.5');
    assert.match(await lab.testid('threshold-note').textContent(),
      /positive when the model's probability is above the decision threshold \(0\.5 by default\); raising it trades recall for precision/);
    // Refused as it is typed, the field named; Train waits for it.
    await lab.testid('threshold').fill('1.5');
    await lab.testid('threshold-error').waitFor();
    assert.match(await lab.testid('threshold-error').textContent(), /^threshold: must be between 0 and 1, exclusive \(got 1\.5\)/);
    await lab.page.waitForFunction(() => document.querySelector('[data-testid=train]')?.disabled === true, null, { timeout: 5_000 });
    assert.match(await lab.testid('run-invalid').textContent(), /Fix decision threshold first/);
    // Committing it keeps it in the field, and nothing is trained.
    await lab.testid('threshold').press('Enter');
    assert.equal(await lab.testid('threshold').inputValue(), '1.5', 'the field keeps what was typed');
    assert.equal(await lab.testid('progress').count(), 0, 'nothing was trained');
    await lab.shot('imdb-threshold-refused');
    // 0.7 is accepted: no message, Train usable again, the field shows it.
    await lab.testid('threshold').fill('0.7');
    await lab.testid('threshold').press('Enter');
    await lab.page.waitForFunction(() => document.querySelector('[data-testid=train]')?.disabled === false, null, { timeout: 5_000 });
    assert.equal(await lab.testid('threshold-error').count(), 0);
    assert.equal(await lab.testid('run-invalid').count(), 0);
    assert.equal(await lab.testid('threshold').inputValue(), '0.7');
    // A Fashion-MNIST model (softmax: the largest probability wins) has no threshold.
    await lab.goto('#/step/5?dataset=fashion-mnist');
    await lab.page.waitForFunction(() => [...document.querySelectorAll('label.field')].some((l) => /all images/.test(l.textContent)),
      null, { timeout: 10_000 });
    assert.equal(await lab.testid('threshold').count(), 0);
    assert.equal(await lab.testid('threshold-note').count(), 0);
  });
});
