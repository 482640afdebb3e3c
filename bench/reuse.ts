// `npm run bench:reuse`: the issue-16 targets on Fashion-MNIST through the strata CLI (pretrain, probe,
// train --init/--label-fraction/--classes, ensemble), each against its baseline in the same run; writes
// bench/reuse-latest.json. Budgets are flags so a loaded machine can run them small (and says which it used).
// usage: node dist/bench/reuse.js [--simclr-minutes 4] [--dae-minutes 2] [--ft-epochs 15] [--threads 1] [--only a,b]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFlags } from './util.js';
import * as st from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const flags = parseFlags(process.argv.slice(2));
const threads = String(flags.threads ?? 1);
const simclrMinutes = String(flags['simclr-minutes'] ?? 4);
const daeMinutes = String(flags['dae-minutes'] ?? 2);
const ftEpochs = String(flags['ft-epochs'] ?? 15);
const only = flags.only ? String(flags.only).split(',') : null;
const dataDir = flags['data-dir'] ? ['--data-dir', String(flags['data-dir'])] : [];
// --runs DIR keeps the run folders there and skips a step whose run folder already has its model (re-runs after a cut)
const runs = flags.runs ? String(flags.runs) : mkdtempSync(join(tmpdir(), 'strata-bench-reuse-'));
const ensSubset = String(flags['ens-subset'] ?? 20000);
const stackSubset = String(flags['stack-subset'] ?? 10000);

function strata(...args: string[]): string {
  const t0 = performance.now();
  const out = args[args.indexOf('--out') + 1];
  if (args[0] !== 'probe' && args.includes('--out') && existsSync(join(out, 'model.safetensors')) && existsSync(join(out, 'metrics.jsonl'))) {
    console.error(`(kept) strata ${args.join(' ')}`);
    return '';
  }
  console.error(`$ strata ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [join(root, 'bin/strata.js'), ...args, '--threads', threads, ...dataDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`strata ${args[0]} failed (exit ${r.status})`);
  console.error(`  ${r.stdout.trim().split('\n')[0]}  [${((performance.now() - t0) / 1000).toFixed(0)} s]`);
  return r.stdout;
}
const lastAcc = (dir: string): number => {
  const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n');
  return JSON.parse(lines[lines.length - 1]).test_accuracy as number;
};
const run = (name: string) => join(runs, name);
const pts = (a: number, b: number) => Number((100 * (a - b)).toFixed(2));
const results: Record<string, unknown>[] = [];
const want = (k: string) => !only || only.includes(k);
function record(target: string, command: string, value: Record<string, number>, diffPoints: number, need: number): void {
  const met = diffPoints >= need;
  results.push({ target, command, ...value, difference_points: diffPoints, needed_points: need, met });
  console.error(`=> ${target}: ${diffPoints >= 0 ? '+' : ''}${diffPoints} points (needed ≥ ${need}): ${met ? 'met' : 'MISSED'}`);
}
const ft = ['--epochs', ftEpochs, '--batch-size', '64'];

if (want('semi')) {
  // 1 % of the labels (600 images): SimCLR and denoising pre-training, then fine-tuning, against scratch
  strata('pretrain', '--method', 'simclr', '--model', 'cnn', '--minutes', simclrMinutes, '--out', run('simclr'), '--quiet');
  strata('pretrain', '--method', 'denoising', '--model', 'cnn', '--minutes', daeMinutes, '--out', run('dae'), '--quiet');
  strata('train', '--model', 'cnn', '--label-fraction', '0.01', ...ft, '--out', run('scratch600'), '--quiet');
  strata('train', '--model', 'cnn', '--label-fraction', '0.01', ...ft, '--init', run('simclr'), '--out', run('simclr600'), '--quiet');
  strata('train', '--model', 'cnn', '--label-fraction', '0.01', ...ft, '--init', run('dae'), '--out', run('dae600'), '--quiet');
  const s = lastAcc(run('scratch600')), c = lastAcc(run('simclr600')), d = lastAcc(run('dae600'));
  record('1% labels: SimCLR-pretrained vs scratch', `strata pretrain --method simclr --model cnn --minutes ${simclrMinutes}; strata train --model cnn --label-fraction 0.01 --epochs ${ftEpochs} [--init RUN]`, { scratch: s, pretrained: c }, pts(c, s), 5);
  record('1% labels: denoising-AE-pretrained vs scratch', `strata pretrain --method denoising --model cnn --minutes ${daeMinutes}; same fine-tuning`, { scratch: s, pretrained: d }, pts(d, s), 2);
  const pr = JSON.parse(strata('probe', '--checkpoint', run('simclr'), '--json'));
  const rnd = JSON.parse(strata('probe', '--checkpoint', run('simclr'), '--random-init', '--json'));
  record('linear probe: SimCLR features vs the same encoder at random init', `strata probe --checkpoint RUN [--random-init] (10000 labelled images; SimCLR ${simclrMinutes} min, not 30)`, { random_init: rnd.linear_probe_accuracy, simclr: pr.linear_probe_accuracy, knn_random_init: rnd.knn_accuracy, knn_simclr: pr.knn_accuracy }, pts(pr.linear_probe_accuracy, rnd.linear_probe_accuracy), 3);
}

if (want('transfer')) {
  // pre-train (supervised) on classes 0-4, fine-tune on 5-9 with 100 labels per class, against scratch
  strata('train', '--model', 'cnn', '--classes', '0-4', '--epochs', '2', '--out', run('cls04'), '--quiet');
  strata('train', '--model', 'cnn', '--classes', '5-9', '--labels-per-class', '100', ...ft, '--out', run('scratch59'), '--quiet');
  strata('train', '--model', 'cnn', '--classes', '5-9', '--labels-per-class', '100', ...ft, '--init', run('cls04'), '--out', run('ft59'), '--quiet');
  const s = lastAcc(run('scratch59')), f = lastAcc(run('ft59'));
  record('classes 0-4 → 5-9, 100 labels per class: fine-tuned vs scratch', `strata train --model cnn --classes 0-4 --epochs 2; strata train --model cnn --classes 5-9 --labels-per-class 100 --epochs ${ftEpochs} [--init RUN]`, { scratch: s, fine_tuned: f }, pts(f, s), 3);
}

if (want('ensemble')) {
  const seeds = ['1', '2', '3', '4', '5'];
  for (const s of seeds) strata('train', '--model', 'cnn', '--subset', ensSubset, '--epochs', '1', '--seed', s, '--out', run(`cnn-s${s}`), '--quiet');
  strata('ensemble', '--checkpoints', seeds.map((s) => run(`cnn-s${s}`)).join(','), '--method', 'mean', '--out', run('mean5'), '--quiet');
  const m5 = JSON.parse(readFileSync(join(run('mean5'), 'metrics.jsonl'), 'utf8'));
  record('mean of 5 CNNs (seeds 1-5) vs best member', `strata train --model cnn --subset ${ensSubset} --epochs 1 --seed S (×5); strata ensemble --checkpoints … --method mean`, { best_member: m5.best_member_accuracy, ensemble: m5.test_accuracy }, pts(m5.test_accuracy, m5.best_member_accuracy), 0.5);

  const structs = ['mlp', 'cnn', 'resnet20', 'vit_tiny'];
  for (const m of structs) strata('train', '--model', m, '--subset', stackSubset, '--epochs', '1', '--out', run(`st-${m}`), '--quiet');
  const list = structs.map((m) => run(`st-${m}`)).join(',');
  strata('ensemble', '--checkpoints', list, '--method', 'mean', '--out', run('st-mean'), '--quiet');
  strata('ensemble', '--checkpoints', list, '--method', 'stack', '--holdout', '5000', '--out', run('st-stack'), '--quiet');
  const sm = lastAcc(run('st-mean')), ss = lastAcc(run('st-stack'));
  record('stacking (logreg on a 5000-image hold-out) over mlp, cnn, resnet20, vit_tiny vs their mean', `strata train --model M --subset ${stackSubset} --epochs 1 (×4); strata ensemble --checkpoints … --method stack --holdout 5000 (and --method mean)`, { mean: sm, stack: ss }, pts(ss, sm), 0);

  strata('train', '--model', 'cnn', '--subset', ensSubset, '--epochs', '4', '--snapshots', '4', '--lr', '3e-3', '--out', run('snap'), '--quiet');
  strata('ensemble', '--snapshots', run('snap'), '--out', run('snap-ens'), '--quiet');
  const last = lastAcc(run('snap')), se = lastAcc(run('snap-ens'));
  record('snapshot ensemble (4 cosine cycles, one run) vs its last model', `strata train --model cnn --subset ${ensSubset} --epochs 4 --snapshots 4; strata ensemble --snapshots RUN`, { last_model: last, snapshot_ensemble: se }, pts(se, last), 0);
}

if (want('multitask')) {
  // a shared CNN trunk with a 10-class head and a 5-group head (tops, trousers, dresses, footwear, bags),
  // losses weighted by learned uncertainty, against the same trunk with the 10-class head alone
  const epochs = Number(flags['mt-epochs'] ?? 2), subset = Number(flags['mt-subset'] ?? 10000);
  st.setNumThreads(Number(threads));
  const tf = st.data.compose([st.data.toTensor(), st.data.normalize([...st.data.FashionMNIST.mean], [...st.data.FashionMNIST.std])]);
  const root = flags['data-dir'] ? String(flags['data-dir']) : undefined;
  const trainSet = st.data.TensorDataset.from(new st.data.Subset(new st.data.FashionMNIST({ root, train: true }), Array.from({ length: subset }, (_, i) => i)), { transform: tf });
  const testSet = st.data.TensorDataset.from(new st.data.FashionMNIST({ root, train: false }), { transform: tf });
  const lookup = st.tensor(Int32Array.from(st.reuse.FASHION_COARSE.of)).long();
  const fineOnly: Record<string, number> = {};
  for (const withAux of [false, true]) {
    st.manualSeed(0);
    const tasks: Record<string, number> = withAux ? { fine: 10, coarse: 5 } : { fine: 10 };
    const mt = new st.reuse.MultiTask(new st.reuse.Encoder(st.models.createModel('cnn', { inChannels: 1, height: 28, width: 28, numClasses: 10 })), 128, tasks);
    const weigh = new st.reuse.MultiTaskLoss(Object.keys(tasks), 'uncertainty');
    let last: Record<string, st.Tensor> = {};
    const dir = run(withAux ? 'mt-fine-coarse' : 'mt-fine');
    const lines: string[] = [];
    const trainer = new st.train.Trainer({
      model: mt, optimizer: new st.optim.Adam([...mt.parameters(), ...weigh.parameters()], { lr: 1e-3 }), validationName: 'test',
      forward: (x) => { last = mt.forward(x); return last.fine; },
      lossFn: (out, y) => weigh.forward(withAux ? { fine: st.crossEntropy(out, y), coarse: st.crossEntropy(last.coarse, lookup.indexSelect(0, y)) } : { fine: st.crossEntropy(out, y) }),
      callbacks: [{
        onEpochEnd: (_t, log) => {
          if (withAux) {
            // the coarse head's test accuracy, and the group accuracy implied by the fine head
            let hit = 0, hitFromFine = 0;
            st.noGrad(() => { for (let s = 0; s < testSet.length; s += 1000) st.tidy(() => {
              const x = testSet.fields.x.narrow(0, s, 1000), y = lookup.indexSelect(0, testSet.fields.y.narrow(0, s, 1000));
              const o = mt.forward(x);
              hit += o.coarse.argmax(1).eq(y).sum().item();
              hitFromFine += lookup.indexSelect(0, o.fine.argmax(1)).eq(y).sum().item();
            }); });
            log.test_coarse_accuracy = hit / testSet.length;
            log.test_coarse_from_fine_accuracy = hitFromFine / testSet.length;
          }
          for (const [k, w] of Object.entries(weigh.currentWeights())) log[`weight_${k}`] = w;
          lines.push(JSON.stringify(log) + '\n');
        },
      }],
    });
    await trainer.fit(new st.data.DataLoader<unknown, st.train.Batch>(trainSet, { batchSize: 64, shuffle: true, generator: new st.Generator(1) }), { epochs, validation: new st.data.DataLoader<unknown, st.train.Batch>(testSet, { batchSize: 1000 }) });
    st.io.writeFileAtomic(join(dir + '.metrics.jsonl'), lines.join(''));
    fineOnly[withAux ? 'with_coarse' : 'fine_only'] = trainer.history[trainer.history.length - 1].test_accuracy as number;
    console.error(`multitask ${withAux ? 'fine+coarse' : 'fine only'}: ${lines[lines.length - 1].trim()}`);
  }
  record('multi-task: fine classes with the coarse-group task vs alone (report; no target in the issue)', `npm run bench:reuse -- --only multitask (cnn trunk, ${subset} images, ${epochs} epochs, uncertainty weights)`, { fine_only: fineOnly.fine_only, with_coarse: fineOnly.with_coarse }, pts(fineOnly.with_coarse, fineOnly.fine_only), 0);
}

const file = join(root, 'bench', 'reuse-latest.json');
let previous: Record<string, unknown>[] = [];
{ try { previous = (JSON.parse(readFileSync(file, 'utf8')).results as Record<string, unknown>[]).filter((r) => !results.some((x) => x.target === r.target)); } catch { previous = []; } }
results.unshift(...previous);
writeFileSync(file + '.tmp', JSON.stringify({ date: new Date().toISOString(), threads: Number(threads), budgets: { simclr_minutes: Number(simclrMinutes), dae_minutes: Number(daeMinutes), finetune_epochs: Number(ftEpochs) }, note: 'measured under load (2 shared cores); budgets reduced from the issue\'s 30 minutes', results }, null, 2) + '\n');
renameSync(file + '.tmp', file);
console.log('| target | baseline → ours | difference | needed | met |\n|---|---|---|---|---|');
for (const r of results) {
  const v = Object.entries(r).filter(([k, x]) => typeof x === 'number' && !['difference_points', 'needed_points'].includes(k)).map(([k, x]) => `${k} ${(100 * (x as number)).toFixed(2)}%`).join(', ');
  console.log(`| ${r.target} | ${v} | ${r.difference_points} | ≥ ${r.needed_points} | ${r.met ? 'yes' : 'no'} |`);
}
console.log(`\nwrote ${file}`);
