// End-to-end tests of weights files: a trained run's weights download as a safetensors file
// (its config in the metadata), load back after a reload into the step's architecture as a
// new run with the same test accuracy and a predictions grid; a file of another architecture
// or no weights file at all says what is wrong and adds no run.
// Short runs: a 2000-image subset on the CPU backend, 1 epoch.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, Lab } from './lab.mjs';

let browser;
let dir;
before(async () => {
  browser = await launch();
  dir = mkdtempSync(join(tmpdir(), 'lab-weights-'));
});
after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

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

const QUICK = '?subset=2000&epochs=1&backend=cpu';

const trainEnabled = (lab, timeout = 60_000) =>
  lab.page.waitForFunction(() => document.querySelector('[data-testid=train]')?.disabled === false, null, { timeout });

/// Trains the step's run to its test results and downloads its final weights to `name` in the
/// temporary folder; returns [path, test accuracy].
async function trainAndDownload(lab, name) {
  await lab.dataReady();
  await lab.backend();
  await trainEnabled(lab);
  await lab.train();
  await lab.results();
  const accuracy = await lab.testAccuracy();
  const [download] = await Promise.all([
    lab.page.waitForEvent('download', { timeout: 60_000 }),
    lab.testid('download-weights').click(),
  ]);
  assert.match(download.suggestedFilename(), /^[a-z0-9.-]+\.safetensors$/);
  const path = join(dir, name);
  await download.saveAs(path);
  return [path, accuracy];
}

/// The JSON header of a safetensors file (8 bytes of little-endian length, then JSON).
function header(path) {
  const bytes = readFileSync(path);
  const length = Number(bytes.readBigUInt64LE(0));
  return JSON.parse(bytes.subarray(8, 8 + length).toString('utf8'));
}

const runName = (lab) => lab.testid('run-name').textContent();

test('downloaded weights load back after a reload with the same test accuracy and a predictions grid', async () => {
  await withLab(`#/step/5${QUICK}`, async (lab) => {
    const [path, trained] = await trainAndDownload(lab, 'baseline.safetensors');
    const h = header(path);
    const config = JSON.parse(h.__metadata__.config);
    assert.equal(config.subset, 2000, 'the file carries the training config');
    assert.deepEqual(Object.keys(h).filter((k) => k !== '__metadata__').sort(), ['dense.bias', 'dense.kernel']);
    assert.deepEqual(h['dense.kernel'].shape, [784, 10], "Keras' Dense layout [inputs, units]");
    await lab.testid('predictions').waitFor({ timeout: 60_000 });

    await lab.page.reload();
    await lab.dataReady();
    await lab.backend();
    await lab.testid('load-weights').setInputFiles(path);
    await lab.page.waitForFunction(() => document.querySelector('[data-testid=run-name]')?.textContent.includes('loaded: baseline.safetensors'),
      null, { timeout: 120_000 });
    await lab.results();
    const loaded = await lab.testAccuracy();
    assert.ok(Math.abs(loaded - trained) <= 1e-4, `loaded ${loaded} vs trained ${trained}`);
    assert.equal(await lab.testid('weights-error').count(), 0);

    // The grid: 24 test images with their prediction, probability and true class; "only
    // mistakes" keeps the wrong ones.
    await lab.testid('predictions').waitFor({ timeout: 60_000 });
    await lab.page.waitForFunction(() => document.querySelectorAll('[data-testid=prediction]').length === 24, null, { timeout: 60_000 });
    assert.match(await lab.testid('predictions-shown').textContent(), /^24 of 10,000 test images$/);
    assert.match(await lab.testid('prediction').first().textContent(), /· \d+ %true: /);
    await lab.testid('predictions-more').click();
    await lab.page.waitForFunction(() => document.querySelectorAll('[data-testid=prediction]').length === 48, null, { timeout: 60_000 });
    await lab.testid('only-mistakes').check();
    await lab.page.waitForFunction(() => /of [\d,]+ mistakes?$/.test(document.querySelector('[data-testid=predictions-shown]')?.textContent ?? ''),
      null, { timeout: 60_000 });
    const mistakes = Number((await lab.testid('predictions-shown').textContent()).match(/of ([\d,]+) mistake/)[1].replace(/,/g, ''));
    assert.ok(Math.abs(mistakes - Math.round((1 - loaded) * 10_000)) <= 1, `${mistakes} mistakes at accuracy ${loaded}`);
    const shown = await lab.page.locator('[data-testid=prediction]').count();
    assert.equal(shown, Math.min(24, mistakes));
    assert.equal(await lab.page.locator('[data-testid=prediction].wrong').count(), shown, 'every one is a mistake');
    await lab.shot('weights-loaded');
  });
});

test('weights of another architecture, or no weights file, say what is wrong and add no run', async () => {
  let step6;
  await withLab(`#/step/6${QUICK}`, async (lab) => {
    [step6] = await trainAndDownload(lab, 'step6.safetensors');
  });
  const junk = join(dir, 'junk.safetensors');
  writeFileSync(junk, 'this is not a weights file at all');

  await withLab(`#/step/5${QUICK}`, async (lab) => {
    await lab.dataReady();
    await lab.backend();
    await trainEnabled(lab);
    await lab.train();
    await lab.results();
    const before = await runName(lab);
    const accuracy = await lab.testAccuracy();

    await lab.testid('load-weights').setInputFiles(step6);
    await lab.testid('weights-error').waitFor({ timeout: 60_000 });
    assert.match(await lab.testid('weights-error').textContent(),
      /^step6\.safetensors could not be loaded: the weights do not fit this model: layer \d+ is Dense \(None, \d+\) with [\d,]+ parameters in the file but .+ here$/);
    assert.equal(await runName(lab), before, 'no run was added');
    assert.equal(await lab.testAccuracy(), accuracy);
    await lab.shot('weights-mismatch');

    await lab.testid('load-weights').setInputFiles(junk);
    await lab.page.waitForFunction(() => /not a safetensors file/.test(document.querySelector('[data-testid=weights-error]')?.textContent ?? ''),
      null, { timeout: 60_000 });
    assert.match(await lab.testid('weights-error').textContent(), /^junk\.safetensors could not be loaded: not a usable weights file: it is not a safetensors file/);
    assert.equal(await runName(lab), before, 'no run was added');
    assert.equal(await lab.page.locator('[data-testid=results-run]').count(), 0, 'the step still has one run');
  });
});
