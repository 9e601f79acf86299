// CNNs in the lab (issue 15): the builder's convolutions, the small-CNN preset trained on the
// CPU and on WebGPU, and "what the network sees" (one grid of feature maps per Conv2D /
// MaxPooling2D layer, named as Keras names them).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, Lab, SHOTS } from './lab.mjs';

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

const LAYERS = ['conv2d', 'max_pooling2d', 'conv2d_1', 'max_pooling2d_1'];

test('the builder adds convolutions, takes images and refuses impossible shapes', async () => {
  await withLab('#/step/6?backend=cpu', async (lab) => {
    const summary = lab.testid('model-summary');
    await summary.waitFor();
    assert.match(await lab.testid('model-input').textContent(), /784 pixels/);
    // A Conv2D goes first, with a Flatten before step 6's Dense layers; the input is an image.
    await lab.testid('add-conv2d').click();
    await lab.page.waitForFunction(() => /28×28/.test(document.querySelector('[data-testid=model-input]')?.textContent ?? ''));
    const kinds = await lab.page.locator('[data-testid=layer] .layer-kind').allTextContents();
    assert.deepEqual(kinds, ['Conv2D', 'Flatten', 'Dense', 'Dense']);
    assert.match(await summary.textContent(), /conv2d \(Conv2D\)\s*\(None, 26, 26, 32\)\s*320/);
    await lab.testid('add-maxpool2d').click();
    await lab.page.waitForFunction(() => /max_pooling2d \(MaxPooling2D\)/.test(document.querySelector('[data-testid=model-summary]')?.textContent ?? ''));
    assert.match(await summary.textContent(), /\(None, 13, 13, 32\)/);
    // An impossible shape is refused as it is typed, naming the layer's field.
    await lab.testid('layer-1-pool-size').fill('27');
    assert.match(await lab.testid('layer-1-pool-size-error').textContent(), /model\.layers\[1\]\.pool_size: must be between 1 and 26 \(got 27\)/);
    await lab.testid('layer-0-kernel-size').fill('29');
    assert.match(await lab.testid('layer-0-kernel-size-error').textContent(), /model\.layers\[0\]\.kernel_size/);
    assert.match(await lab.testid('run-invalid').textContent(), /Fix kernel size of layer 1 and pool size of layer 2 first/);
    // Valid values apply: 16 filters of 5×5 with padding "same".
    await lab.testid('layer-0-kernel-size').fill('5');
    await lab.testid('layer-0-kernel-size').press('Enter');
    await lab.testid('layer-1-pool-size').fill('2');
    await lab.testid('layer-1-pool-size').press('Enter');
    await lab.testid('layer-0-filters').fill('16');
    await lab.testid('layer-0-filters').press('Enter');
    await lab.testid('layer-0-padding').selectOption('same');
    await lab.page.waitForFunction(() => /\(None, 28, 28, 16\)\s*416/.test(document.querySelector('[data-testid=model-summary]')?.textContent ?? ''));
    assert.equal(await lab.testid('run-invalid').count(), 0);
    // The CNN exercise is stated, not yet done.
    assert.match(await lab.testid('cnn-exercise').textContent(), /Not yet/);
    await lab.shot('cnn-builder');
  });
});

// On the CPU, the small-CNN preset; on WebGPU a CNN built in the builder (Conv2D with 8
// filters, MaxPooling2D): SwiftShader, the CPU emulating the GPU here, multiplies matrices at
// about 0.4 GFLOP/s, so the preset's 10,000-image test report alone takes 2.5 minutes there
// (`cargo xtask bench` times it).
const CASES = {
  cpu: { layers: LAYERS, maps: [32, 32, 64, 64], sides: [26, 13, 11, 5], filters: 32 },
  webgpu: { layers: LAYERS.slice(0, 2), maps: [8, 8], sides: [26, 13], filters: 8 },
};
for (const [backend, want] of Object.entries(CASES)) {
  test(`step 6 trains a CNN on ${backend} and shows what it sees`, async () => {
    await withLab(`#/step/6?subset=2000&epochs=1&backend=${backend}`, async (lab) => {
      await lab.dataReady();
      assert.match(await lab.backend(), new RegExp(`backend: ${backend}`));
      if (backend === 'cpu') {
        await lab.testid('preset-small-cnn').click();
        await lab.page.waitForFunction(() => /max_pooling2d_1 \(MaxPooling2D\)/.test(document.querySelector('[data-testid=model-summary]')?.textContent ?? ''));
      } else {
        await lab.testid('add-conv2d').click();
        await lab.testid('add-maxpool2d').click();
        await lab.testid('layer-0-filters').fill('8');
        await lab.testid('layer-0-filters').press('Enter');
        await lab.page.waitForFunction(() => /max_pooling2d \(MaxPooling2D\)\s*\(None, 13, 13, 8\)/.test(document.querySelector('[data-testid=model-summary]')?.textContent ?? ''));
      }
      assert.match(await lab.testid('model-input').textContent(), /28×28/);
      // The URL's subset and epochs stay in the fields.
      assert.equal(await lab.testid('subset').inputValue(), '2000');
      assert.equal(await lab.testid('epochs').inputValue(), '1');
      await lab.train();
      await lab.results(600_000);
      assert.equal(await lab.epochs(), 1);
      const acc = await lab.testAccuracy();
      assert.ok(acc > 0.3 && acc <= 1, `test accuracy ${acc}`);
      // What the network sees: one grid per Conv2D / MaxPooling2D layer, Keras' names.
      const panel = lab.testid('activations');
      await panel.waitFor({ timeout: 60_000 });
      await panel.scrollIntoViewIfNeeded();
      const grids = lab.page.locator('[data-testid=feature-maps]');
      await lab.page.waitForFunction((n) => document.querySelectorAll('[data-testid=feature-maps]').length === n, want.layers.length, { timeout: 120_000 });
      const names = await grids.evaluateAll((els) => els.map((e) => e.dataset.layer));
      assert.deepEqual(names, want.layers);
      // A map per filter; the first layer's filters; ten class bars.
      const maps = await grids.evaluateAll((els) => els.map((e) => e.querySelectorAll('canvas').length));
      assert.deepEqual(maps, want.maps);
      const sizes = await grids.evaluateAll((els) => els.map((e) => e.querySelector('canvas').width));
      assert.deepEqual(sizes, want.sides);
      assert.equal(await lab.page.locator('[data-testid=first-filters] canvas').count(), want.filters);
      assert.equal(await lab.page.locator('[data-testid=activation-probabilities] .prob-row').count(), 10);
      assert.match(await lab.testid('activations-image').textContent(), /test image 0 · true class: /);
      await lab.testid('activations-next').click();
      await lab.page.waitForFunction(() => /test image 1 /.test(document.querySelector('[data-testid=activations-image]')?.textContent ?? ''), null, { timeout: 60_000 });
      assert.equal(await lab.testid('activations-error').count(), 0);
      await panel.screenshot({ path: `${SHOTS}cnn-activations-${backend}.png` });
      await lab.shot(`cnn-step-6-${backend}`);
    });
  });
}

// What the network sees while it trains, refreshed at each epoch's end, and from a clicked
// test image of the results (issue 15).
async function waitLabel(lab, re, timeout = 120_000) {
  await lab.page.waitForFunction((src) => new RegExp(src).test(document.querySelector('[data-testid=activations-weights-label]')?.textContent ?? ''), re.source, { timeout });
}
// The first layer's 32 filters as drawn (null until every one is drawn).
const drawnFilters = () => {
  const canvases = [...document.querySelectorAll('[data-testid=first-filters] canvas')];
  const drawn = canvases.length === 32 && canvases.every((c) => c.getContext('2d').getImageData(0, 0, 1, 1).data[3] === 255);
  return drawn ? canvases.map((c) => c.toDataURL()).join() : null;
};
// The first of `buttons` (see-activations) whose test image is not `shown`, and its index.
async function another(buttons, shown) {
  const indices = await buttons.evaluateAll((els) => els.map((e) => e.dataset.index));
  const at = indices.findIndex((i) => i !== shown);
  assert.ok(at >= 0, `an image other than ${shown} among ${indices}`);
  return [buttons.nth(at), indices[at]];
}
const filtersNow = async (lab) => (await lab.page.waitForFunction(drawnFilters, null, { timeout: 30_000 })).jsonValue();

test('step 7 shows what the small CNN sees after each epoch while it trains', async () => {
  // With ModelCheckpoint on (step 7), both weights can be seen afterwards.
  await withLab('#/step/7?subset=2000&epochs=3&backend=cpu', async (lab) => {
    await lab.dataReady();
    await lab.testid('preset-small-cnn').click();
    await lab.page.waitForFunction(() => /max_pooling2d_1 \(MaxPooling2D\)/.test(document.querySelector('[data-testid=model-summary]')?.textContent ?? ''));
    assert.equal(await lab.testid('epochs').inputValue(), '3');
    await lab.testid('model-checkpoint').check();
    await lab.train();
    // The panel is there from the start of the run; its maps come when the first epoch ends.
    const live = lab.page.locator('[data-testid=activations][data-live=true]');
    await live.waitFor({ timeout: 60_000 });
    await lab.testid('activations-waiting').waitFor({ timeout: 10_000 });
    await waitLabel(lab, /^Weights shown: after epoch 1 \(training…\)$/, 300_000);
    assert.equal(await lab.testid('activations-waiting').count(), 0);
    const names = await lab.page.locator('[data-testid=feature-maps]').evaluateAll((els) => els.map((e) => e.dataset.layer));
    assert.deepEqual(names, LAYERS);
    assert.equal(await lab.page.locator('[data-testid=first-filters] canvas').count(), 32);
    assert.match(await lab.testid('activations-image').textContent(), /test image 0 · true class: /);
    assert.ok((await lab.epochs()) >= 1);
    const afterOne = await filtersNow(lab);
    await live.screenshot({ path: `${SHOTS}cnn-activations-live.png` });
    // The next epoch's end shows that epoch's weights: the label says so and the filters moved.
    await waitLabel(lab, /^Weights shown: after epoch [23] \(training…\)$/, 300_000);
    const later = Number((await lab.testid('activations-weights-label').textContent()).match(/epoch (\d)/)[1]);
    assert.ok((await lab.epochs()) >= later, 'the label never runs ahead of the history');
    assert.notEqual(await filtersNow(lab), afterOne, 'the first filters changed');
    assert.equal(await lab.testid('activations-error').count(), 0);
    // Once the run ends, the panel under its results shows the best checkpoint, then the final weights.
    await lab.results(600_000);
    assert.equal(await lab.epochs(), 3);
    await lab.page.locator('[data-testid=activations][data-live=false]').waitFor({ timeout: 60_000 });
    await waitLabel(lab, /^Weights shown: best checkpoint \(epoch [123]\)$/, 120_000);
    await lab.testid('activations-weights').selectOption('final');
    await waitLabel(lab, /^Weights shown: final weights$/);
    assert.match(await lab.testid('activations-image').textContent(), /test image 0 · /);
  });
});

test('a misclassified test image clicked in the results shows what the CNN sees of it', async () => {
  await withLab('#/step/7?subset=2000&epochs=1&backend=cpu', async (lab) => {
    await lab.dataReady();
    await lab.testid('preset-small-cnn').click();
    await lab.page.waitForFunction(() => /max_pooling2d_1 \(MaxPooling2D\)/.test(document.querySelector('[data-testid=model-summary]')?.textContent ?? ''));
    await lab.testid('model-checkpoint').check();
    await lab.train();
    await lab.results(600_000);
    const panel = lab.page.locator('[data-testid=activations][data-live=false]');
    await panel.waitFor({ timeout: 60_000 });
    await lab.page.waitForFunction(() => /test image 0 · /.test(document.querySelector('[data-testid=activations-image]')?.textContent ?? ''), null, { timeout: 120_000 });
    // The final weights, as the predictions grid's.
    await lab.testid('activations-weights').selectOption('final');
    await waitLabel(lab, /^Weights shown: final weights$/);
    // The grid's mistakes: clicking one selects it in the panel, which says the model is wrong.
    await lab.testid('only-mistakes').check();
    await lab.page.waitForFunction(() => /mistake/.test(document.querySelector('[data-testid=predictions-shown]')?.textContent ?? ''), null, { timeout: 120_000 });
    const mistakes = lab.page.locator('[data-testid=predictions] [data-testid=see-activations]');
    await mistakes.first().waitFor({ timeout: 60_000 });
    const [mistake, index] = await another(mistakes, '0');
    await mistake.click();
    await lab.page.waitForFunction((i) => new RegExp(`^test image ${i} · `).test(document.querySelector('[data-testid=activations-image]')?.textContent ?? ''), index, { timeout: 120_000 });
    assert.equal(await lab.testid('activations-index').inputValue(), index);
    assert.match(await lab.testid('activations-verdict').textContent(), /: wrong\.$/);
    assert.equal(await lab.testid('activations-weights-label').textContent(), 'Weights shown: final weights');
    // A confusion-matrix cell's images too (the cell with the most mistakes).
    const cells = lab.page.locator('[data-testid=confusion-matrix] td.clickable');
    const counts = await cells.evaluateAll((els) => els.map((e) => Number(e.dataset.count)));
    await cells.nth(counts.indexOf(Math.max(...counts))).locator('.cm-button').click();
    const cell = lab.page.locator('[data-testid=misclassified] [data-testid=see-activations]');
    await cell.first().waitFor({ timeout: 60_000 });
    const [image, other] = await another(cell, index);
    await image.click();
    await lab.page.waitForFunction((i) => new RegExp(`^test image ${i} · `).test(document.querySelector('[data-testid=activations-image]')?.textContent ?? ''), other, { timeout: 120_000 });
    assert.equal(await lab.testid('activations-index').inputValue(), other);
    assert.match(await lab.testid('activations-verdict').textContent(), /: wrong\.$/);
    assert.equal(await lab.testid('activations-error').count(), 0);
    await panel.screenshot({ path: `${SHOTS}cnn-activations-clicked.png` });
  });
});

test('step 8 searches a small CNN: the space has conv blocks and the first trial trains a conv model', async () => {
  await withLab('#/step/8?subset=1000&backend=cpu', async (lab) => {
    await lab.dataReady();
    // The MLP search by default; "a small CNN" swaps the space for conv blocks.
    assert.equal(await lab.testid('search-hypermodel').inputValue(), 'mlp');
    await lab.testid('search-hypermodel').selectOption('cnn');
    await lab.page.waitForFunction(() => document.querySelectorAll('[data-testid=hp-row]').length === 8);
    const names = await lab.page.locator('[data-testid=hp-row] td:first-child code').allTextContents();
    assert.deepEqual(names, ['conv_blocks', 'filters_0', 'kernel_0', 'filters_1', 'kernel_1', 'dropout', 'units', 'lr']);
    assert.match(await lab.testid('hypermodel-names').textContent(), /conv_blocks, filters_\{i\}, kernel_\{i\}/);
    assert.match(await lab.testid('reset-space').textContent(), /conv blocks/);
    assert.equal(await lab.testid('tune-batch').inputValue(), '128');
    // A quick schedule: max_epochs 2, factor 2 = 5 trials, 7 epochs.
    await lab.testid('factor').fill('2');
    await lab.testid('factor').press('Enter');
    await lab.testid('max-epochs').fill('2');
    await lab.testid('max-epochs').press('Enter');
    assert.equal(await lab.testid('plan').getAttribute('data-trials'), '5');
    assert.equal(await lab.testid('plan').getAttribute('data-total-epochs'), '7');
    assert.equal(await lab.testid('search-invalid').count(), 0);
    await lab.testid('search').click();
    // The first trial finishes, and its model is a CNN: conv blocks with filters and kernels.
    await lab.page.waitForFunction(() => document.querySelectorAll('[data-testid=trial-row][data-status=completed]').length >= 1, null, { timeout: 300_000 });
    const values = await lab.page.locator('[data-testid=trial-row][data-status=completed] td.values').first().textContent();
    assert.match(values, /conv_blocks=[12] filters_0=(16|32|64) kernel_0=[35]/);
    assert.match(values, /units=(64|128)/);
    assert.match(await lab.testid('best-so-far').textContent(), /val_accuracy 0\.\d{4}/);
    await lab.shot('step-8-cnn-search');
    await lab.testid('stop-search').click();
    await lab.page.waitForFunction(() => /stopped by you|search finished/.test(document.querySelector('[data-testid=search-status]')?.textContent), null, { timeout: 60_000 });
    // Back to the MLP: the course's space again.
    await lab.testid('search-hypermodel').selectOption('mlp');
    await lab.page.waitForFunction(() => document.querySelectorAll('[data-testid=hp-row]').length === 11);
  });
});
