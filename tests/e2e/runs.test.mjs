// End-to-end tests of what a training step says about its runs: Train waits while a field
// holds a refused value (and says which), the URL's quick-run values are the form's fields,
// a run is named from its real settings, the results say which run they show and any run of
// the step can be picked, and a step's status and Stop are its own while another step trains.
// Short runs: a 2000-image subset on the CPU backend, 1–3 epochs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, Lab } from './lab.mjs';

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

const trainDisabled = (lab, timeout = 5_000) =>
  lab.page.waitForFunction(() => document.querySelector('[data-testid=train]')?.disabled === true, null, { timeout });

const textIs = (lab, id, text, timeout = 5_000) =>
  lab.page.waitForFunction(([id, text]) => document.querySelector(`[data-testid="${id}"]`)?.textContent === text,
    [id, text], { timeout });

const statusMatches = (lab, re, timeout) =>
  lab.page.waitForFunction((src) => new RegExp(src).test(document.querySelector('[data-testid=run-status]')?.textContent ?? ''),
    re.source, { timeout });

async function commit(lab, id, value) {
  await lab.testid(id).fill(value);
  await lab.testid(id).press('Enter');
}

test('Train waits while a field holds a refused value, names the field, and never snaps it back', async () => {
  await withLab('#/step/6?subset=2000&epochs=1&backend=cpu', async (lab) => {
    await lab.dataReady();
    await lab.backend();
    await trainEnabled(lab);
    await lab.testid('layer-1-units').fill('0');
    await lab.testid('layer-1-units-error').waitFor();
    await trainDisabled(lab);
    await textIs(lab, 'run-invalid', 'Fix units of layer 2 first');
    // Committing the refused value keeps it in the field.
    await lab.testid('layer-1-units').press('Enter');
    assert.equal(await lab.testid('layer-1-units').inputValue(), '0');
    await commit(lab, 'epochs', '0');
    await textIs(lab, 'run-invalid', 'Fix units of layer 2 and epochs first');
    assert.equal(await lab.testid('train').isDisabled(), true);
    assert.equal(await lab.testid('progress').count(), 0, 'nothing was trained');
    assert.equal(await lab.testid('layer-1-units').inputValue(), '0', 'the field keeps what was typed');
    assert.equal(await lab.testid('epochs').inputValue(), '0');
    await lab.shot('runs-train-blocked');

    // Fixed: Train trains what the fields show.
    await commit(lab, 'layer-1-units', '3');
    await commit(lab, 'epochs', '1');
    await trainEnabled(lab, 5_000);
    assert.equal(await lab.testid('run-invalid').count(), 0);
    await lab.train();
    await lab.results();
    assert.match(await lab.testid('run-name').textContent(), /Dense 256-3 relu · lr 1e-3 · batch 512 · subset 2000 · 1 epoch$/);
  });
});

test("the URL's subset and epochs are shown in the fields, and what is typed there trains", async () => {
  await withLab('#/step/5?subset=2000&epochs=2&backend=cpu', async (lab) => {
    await lab.dataReady();
    await lab.backend();
    assert.equal(await lab.testid('epochs').inputValue(), '2');
    assert.equal(await lab.testid('subset').inputValue(), '2000');
    await commit(lab, 'epochs', '3');
    assert.equal(await lab.testid('epochs').inputValue(), '3');
    await trainEnabled(lab);
    await lab.train();
    await lab.results();
    assert.equal(await lab.epochs(), 3);
    assert.match(await lab.testid('run-place').textContent(), /epoch 3\/3/);
    assert.match(await lab.testid('run-name').textContent(), /subset 2000 · 3 epochs$/);
    assert.equal(await lab.testid('epochs').inputValue(), '3', 'the form keeps what trained');
  });
});

test('runs are named from their settings; the results say which run they show and any run can be picked', async () => {
  await withLab('#/step/6?subset=2000&epochs=1&backend=cpu', async (lab) => {
    await lab.dataReady();
    await lab.backend();
    await trainEnabled(lab);
    await commit(lab, 'layer-0-units', '3');
    await commit(lab, 'learning-rate', '0.01');
    await commit(lab, 'batch-size', '64');
    await lab.train();
    await lab.results();
    const first = 'Dense 3-128 relu · lr 0.01 · batch 64 · subset 2000 · 1 epoch';
    assert.equal(await lab.testid('run-name').textContent(), `run 1 · ${first}`);
    assert.match(await lab.testid('legend-item').first().textContent(), new RegExp(`${first.replace(/[.]/g, '\\.')}$`));
    assert.match(await lab.page.locator('.results h3').first().textContent(), /^Test set · run 1 · Dense 3-128 relu/);
    const firstAccuracy = await lab.testid('test-accuracy').textContent();

    // A second run with another batch size: its own name and colour.
    await commit(lab, 'batch-size', '128');
    await trainEnabled(lab);
    await lab.train();
    await statusMatches(lab, /finished/, 240_000);
    await lab.results();
    assert.match(await lab.testid('run-name').textContent(), /^run 2 · Dense 3-128 relu · lr 0\.01 · batch 128 · subset 2000 · 1 epoch$/);
    const legend = await lab.page.locator('[data-testid=legend-item]').allTextContents();
    assert.equal(legend.length, 2);
    assert.notEqual(legend[0].replace(/^run \d+ · /, ''), legend[1].replace(/^run \d+ · /, ''));
    const swatches = await lab.page.locator('[data-testid=legend-item] .swatch')
      .evaluateAll((els) => els.map((e) => getComputedStyle(e).backgroundColor));
    assert.equal(new Set(swatches).size, 2, `distinct colours: ${swatches}`);

    // The results show the latest run by default; the select brings back the first one.
    assert.match(await lab.page.locator('.results h3').first().textContent(), /^Test set · run 2 · /);
    assert.equal(await lab.page.locator('[data-testid=results-run] option').count(), 2);
    await lab.testid('results-run').selectOption('1');
    await lab.page.waitForFunction(() => /^Test set · run 1 · /.test(document.querySelector('.results h3')?.textContent ?? ''), null, { timeout: 5_000 });
    assert.equal(await lab.testid('test-accuracy').textContent(), firstAccuracy);
    await lab.shot('runs-names-and-results');
  });
});

test("a step's status and Stop are its own while another step trains", async () => {
  await withLab('#/step/5?subset=2000&epochs=1&backend=cpu', async (lab) => {
    await lab.dataReady();
    await lab.backend();
    await trainEnabled(lab);
    await lab.train();
    await lab.results();
    assert.equal(await lab.status(), 'finished');

    // A long step-6 run.
    await lab.goto('#/step/6?subset=20000&epochs=20&backend=cpu');
    await trainEnabled(lab);
    await lab.train();
    await statusMatches(lab, /training/, 30_000);

    // Step 5 meanwhile: its own finished run, a Stop that does not apply, and why Train waits.
    await lab.goto('#/step/5');
    await lab.testid('run-status').waitFor();
    assert.equal(await lab.status(), 'finished', "step 5 shows its own run, not step 6's");
    assert.match(await lab.testid('run-place').textContent(), /epoch 1\/1/);
    assert.equal(await lab.testid('stop').isDisabled(), true, "step 5's Stop does not stop step 6's run");
    assert.equal(await lab.testid('train').isDisabled(), true);
    assert.match(await lab.testid('run-blocked').textContent(), /step 6's run is in progress/);
    await lab.shot('runs-step-5-while-step-6-trains');

    // Step 6: still training; its own Stop ends it.
    await lab.goto('#/step/6');
    assert.match(await lab.status(), /training/);
    assert.equal(await lab.testid('stop').isDisabled(), false);
    await lab.testid('stop').click();
    await statusMatches(lab, /stopped by you/, 10_000);
    await trainEnabled(lab);
    assert.match(await lab.testid('run-name').textContent(), /· stopped by you after \d+\/20 epochs$/);
    // Ended: its final state, not a live batch line.
    assert.doesNotMatch(await lab.testid('progress').textContent(), /batch \d+\/\d+|ETA/);
  });
});
