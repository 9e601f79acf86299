// End-to-end test of a run's exports (src/components/exports.rs, crates/lab-spec/src/export/):
// after a run, each Export button downloads its file — the history as CSV (Keras' CSVLogger
// layout) and JSON (`history.history`) equal to the history the chart shows, each chart as an
// SVG that parses and a PNG, and the Keras script.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { launch, Lab } from './lab.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

// Clicks the button `testid` and returns its download: [file name, bytes].
async function download(lab, testid) {
  const [file] = await Promise.all([
    lab.page.waitForEvent('download', { timeout: 20_000 }),
    lab.testid(testid).click(),
  ]);
  return [file.suggestedFilename(), readFileSync(await file.path())];
}

test('a run exports its history, its charts and a Keras script', async () => {
  const lab = await Lab.open(browser, '#/step/5?subset=2000&epochs=2&backend=cpu');
  lab.page.on('dialog', (d) => d.accept()); // "leave the page?" while a run is in progress
  try {
    await lab.dataReady();
    await lab.backend();
    await lab.train();
    await lab.results(300_000);
    assert.equal(await lab.epochs(), 2);
    await lab.testid('exports').waitFor({ timeout: 10_000 });
    const run = await lab.testid('exports').getAttribute('data-run');
    // [epoch, loss, val_loss, accuracy, val_accuracy] per epoch, as the chart shows them.
    const history = JSON.parse(await lab.testid('history').getAttribute('data-history'));
    assert.equal(history.length, 2);

    // CSV: CSVLogger's header (sorted keys), its 0-based epochs, the shown values.
    const [csvName, csvBytes] = await download(lab, 'export-history-csv');
    assert.equal(csvName, `run-${run}-history.csv`);
    const lines = csvBytes.toString('utf8').split('\r\n');
    assert.equal(lines.pop(), '', 'the file ends with a line break');
    assert.equal(lines[0], 'epoch,accuracy,learning_rate,loss,val_accuracy,val_loss');
    assert.equal(lines.length, 3, 'a header and 2 rows');
    lines.slice(1).forEach((line, i) => {
      const [epoch, accuracy, lr, loss, valAccuracy, valLoss] = line.split(',').map(Number);
      const [shownEpoch, shownLoss, shownValLoss, shownAccuracy, shownValAccuracy] = history[i];
      assert.equal(epoch, shownEpoch - 1, 'CSVLogger counts epochs from 0');
      assert.deepEqual([loss, valLoss, accuracy, valAccuracy], [shownLoss, shownValLoss, shownAccuracy, shownValAccuracy]);
      assert.equal(lr, 0.001);
    });

    // JSON: history.history's lists, with history.epoch.
    const [jsonName, jsonBytes] = await download(lab, 'export-history-json');
    assert.equal(jsonName, `run-${run}-history.json`);
    const json = JSON.parse(jsonBytes.toString('utf8'));
    assert.deepEqual(Object.keys(json), ['epoch', 'accuracy', 'learning_rate', 'loss', 'val_accuracy', 'val_loss']);
    assert.deepEqual(json.epoch, [0, 1]);
    assert.deepEqual(json.loss, history.map((h) => h[1]));
    assert.deepEqual(json.val_loss, history.map((h) => h[2]));
    assert.deepEqual(json.accuracy, history.map((h) => h[3]));
    assert.deepEqual(json.val_accuracy, history.map((h) => h[4]));

    // Charts: each SVG parses, is one chart wide and names the run; each PNG is a PNG twice as wide.
    for (const [key, name] of [['loss', 'loss'], ['acc', 'accuracy']]) {
      const [svgName, svgBytes] = await download(lab, `export-${key}-svg`);
      assert.equal(svgName, `run-${run}-${name}.svg`);
      const svg = await lab.page.evaluate((text) => {
        const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
        const root = doc.documentElement;
        return {
          error: doc.querySelector('parsererror')?.textContent ?? null,
          tag: root.tagName,
          width: root.getAttribute('width'),
          texts: [...root.querySelectorAll('text')].map((t) => t.textContent.trim()),
        };
      }, svgBytes.toString('utf8'));
      assert.equal(svg.error, null, `${name} SVG parses`);
      assert.equal(svg.tag, 'svg');
      assert.equal(svg.width, '430');
      // The caption may carry the success-metric mark ("accuracy ★ your success metric").
      assert.ok(svg.texts.some((t) => t === name || t.startsWith(`${name} ★`)), `${name} chart has its caption`);
      assert.ok(svg.texts.some((t) => t.startsWith(`run ${run} · `)), `${name} chart's legend names run ${run}`);

      const [pngName, png] = await download(lab, `export-${key}-png`);
      assert.equal(pngName, `run-${run}-${name}.png`);
      assert.deepEqual([...png.subarray(0, 8)], PNG_SIGNATURE, `${name} PNG starts with the PNG signature`);
      assert.equal(png.readUInt32BE(16), 860, `${name} PNG is drawn at twice the SVG's width`);
    }
    assert.equal(await lab.testid('export-error').count(), 0, 'no export failed');

    // The Keras script: the run's model and settings.
    const [pyName, pyBytes] = await download(lab, 'export-keras');
    assert.equal(pyName, `run_${run}_keras.py`);
    const py = pyBytes.toString('utf8');
    assert.match(py, /keras\.Sequential\(/);
    assert.match(py, /^EPOCHS = 2$/m);
    assert.match(py, /^SUBSET = 2000$/m);
    assert.match(py, /layers\.Dense\(10, activation="softmax"\)/);
    assert.match(py, new RegExp(`^# Tuning Lab run ${run} · `, 'm'));
    assert.deepEqual(lab.errors, [], 'no console errors');
  } finally {
    await lab.close();
  }
});
