// End-to-end tests of the IMDB half: the data set chosen by the link (`dataset=imdb`), the
// reviews trained on both backends with test accuracy, F1 and a 2×2 confusion matrix whose
// cells list reviews, step 1's sample reviews, and Fashion-MNIST still training afterwards.
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
