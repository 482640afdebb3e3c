// What the CLI prints: predict over many files, summary of a trained run, the progress line on a narrow
// terminal, class reports with long names; Keras-style model.summary(). In-process and fast.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { st, strataInProcess } from './helpers.js';
import { formatClassReport } from '../src/cli/run-folder.js';

const strata = strataInProcess;

/** A run folder with an untrained MLP for 28×28 gray images (as strata train writes it). */
function mlpRun(): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-out-'));
  const task = { inChannels: 1, height: 28, width: 28, numClasses: 10 };
  st.manualSeed(0);
  const model = st.models.createModel('mlp', task);
  st.train.saveModel(join(dir, 'model.safetensors'), model, { config: { model: 'mlp', dataset: 'fashion-mnist', task } });
  model.dispose();
  return dir;
}

describe('CLI output', () => {
  it('predict takes files and folders: one row of top-k per image, none ignored', async () => {
    const runDir = mlpRun();
    const imgs = mkdtempSync(join(tmpdir(), 'strata-png-'));
    mkdirSync(join(imgs, 'more'));
    const png = (p: string, v: number) => st.data.writePng(p, { width: 28, height: 28, channels: 1, data: new Uint8Array(784).fill(v) });
    png(join(imgs, 'a.png'), 0);
    png(join(imgs, 'more', 'b.png'), 128);
    png(join(imgs, 'more', 'c.png'), 255);
    const r = await strata('predict', '--checkpoint', runDir, '--top', '2', join(imgs, 'a.png'), join(imgs, 'more'));
    assert.equal(r.status, 0, r.stderr);
    const rows = r.stdout.trim().split('\n');
    assert.match(rows[0], /^file +top 1 +top 2$/);
    assert.deepEqual(rows.slice(1).map((l) => l.split(/ {2,}/)[0]), [join(imgs, 'a.png'), join(imgs, 'more', 'b.png'), join(imgs, 'more', 'c.png')]);
    for (const row of rows.slice(1)) {
      const p = [...row.matchAll(/ (\d+\.\d)%/g)].map((m) => Number(m[1]));
      assert.equal(p.length, 2, row);
      assert.ok(p[0] >= p[1] && p[0] + p[1] <= 100.1, row);
    }
    const j = await strata('predict', '--checkpoint', runDir, '--json', join(imgs, 'more'));
    assert.equal((JSON.parse(j.stdout) as unknown[]).length, 2);
    assert.match((await strata('predict', '--checkpoint', runDir, join(imgs, 'nope.png'))).stderr, /nope\.png does not exist/);
    assert.equal((await strata('predict', '--checkpoint', runDir)).status, 2);
  });

  it('summary --checkpoint: the trained run\'s model at its input size', async () => {
    const r = await strata('summary', '--checkpoint', mlpRun(), '--json');
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { model: string; input: number[]; params: number; macs: number };
    assert.equal(j.model, 'mlp');
    assert.deepEqual(j.input, [1, 28, 28]);
    // 784·256 + 256 + 256·128 + 128 + 128·10 + 10
    assert.equal(j.params, 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10);
    assert.equal(j.macs, 784 * 256 + 256 * 128 + 128 * 10);
    assert.equal((await strata('summary', '--checkpoint', mlpRun(), '--model', 'cnn')).status, 2);
  });

  it('the progress line fits an 80-column terminal, clears what it overwrites, and shows accuracy and time', () => {
    let text = '';
    const out = { isTTY: true, columns: 80, write: (s: string) => ((text += s), true) } as unknown as NodeJS.WriteStream;
    const p = new st.train.ProgressLogger(out, { epochs: 12 });
    p.onBatchEnd(null as never, { epoch: 10, batch: 936, batches: 938, loss: 0.123456, samples: 59968, elapsed: 75.5, accuracy: 0.91234 });
    const line = text.split('\r').pop()!;
    assert.ok(line.endsWith('\x1b[K'), 'clears the rest of the line');
    const visible = line.replace('\x1b[K', '');
    assert.ok(visible.length <= 79, `${visible.length} columns: ${visible}`);
    assert.match(visible, /^epoch 10\/12 \[=+> *\] 937\/938 loss 0\.1235 acc 91\.2% \d+\/s 1:15 eta 0:00$/);
    text = '';
    p.onEpochEnd(null as never, { epoch: 1, train_loss: 1, train_accuracy: 0.5, lr: 1e-3, epoch_seconds: 2, partial: 165, test_bleu: 0.0045 });
    assert.doesNotMatch(text, /partial 165/);
    assert.match(text, /test_bleu 0\.45 /, 'BLEU on the 0–100 scale, as the result line');
    assert.match(text, /cut by the time limit after 165 batches/);
    // 40 columns: the bar gives way, the numbers stay
    text = '';
    const narrow = new st.train.ProgressLogger({ isTTY: true, columns: 40, write: (s: string) => ((text += s), true) } as unknown as NodeJS.WriteStream, {});
    narrow.onBatchEnd(null as never, { epoch: 1, batch: 0, batches: 938, loss: 2.3, samples: 64, elapsed: 0.1 });
    assert.ok(text.split('\r').pop()!.replace('\x1b[K', '').length <= 39);
  });

  it('class reports keep long class names whole (T-shirt/top)', () => {
    const classes = ['T-shirt/top', 'Trouser', 'Ankle boot'];
    const r = { accuracy: 2 / 3, loss: 0.5, macroF1: 0.5, confusion: [[1, 0, 0], [1, 0, 0], [0, 0, 1]], report: { precision: [0.5, 0, 1], recall: [1, 0, 1], f1: [2 / 3, 0, 1], support: [1, 1, 1], accuracy: 2 / 3, macroF1: 0.5 } };
    const text = formatClassReport(r as never, classes).join('\n');
    assert.match(text, /^T-shirt\/top +50\.0 +100\.0 +66\.7 +1$/m);
    assert.match(text, /^T-shirt\/top +1 +0 +0$/m, 'the confusion-matrix row');
  });

  it('keras Sequential.summary() prints the layer table and totals', () => {
    const m = new st.keras.Sequential();
    m.add(new st.keras.layers.Dense(64, { activation: 'relu', inputShape: [784] }));
    m.add(new st.keras.layers.Dense(10));
    let printed = '';
    const text = m.summary({ print: (t) => (printed = t) });
    assert.equal(printed, text);
    // 784·64 + 64 + 64·10 + 10
    assert.match(text, /parameters: +50,890 /);
    assert.match(text, /Dense +\[64\]/);
    assert.match(text, /Dense +\[10\]/);
    assert.throws(() => new st.keras.Sequential().summary(), /give the first layer an inputShape/);
  });
});
