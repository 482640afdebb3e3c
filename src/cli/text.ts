// The text side of the CLI: `strata train` jobs for language models, text classifiers and seq2seq, and
// `strata eval` on text runs.
import * as st from '../index.js';
import type { FlagValues } from './args.js';
import { evalProgress, formatClassReport, type TrainJob } from './run-folder.js';
import {
  classificationSplit, lmText, seq2seqSplit, spread, TEXT_MODEL_KINDS, TEXT_TRAIN_FLAGS, textDataset,
  type TextKind, type TextRecipe, type TextSplit,
} from './text-datasets.js';

const { StrataError } = st;
const { DataLoader, Subset } = st.data;
const { CharTokenizer, WordTokenizer, LanguageModelingDataset, textCollate, tokenizerFromJSON, KJVRestoration, restoreBaseline, bleu, exactMatch } = st.data.text;
const { createModel, CAP_UNK, setCopyMap, encodePairs, seq2seqCollate } = st.models;
const { Trainer } = st.train;
type Dataset<S> = st.data.Dataset<S>;
type Tokenizer = st.data.text.Tokenizer;
type TokenizerJSON = st.data.text.TokenizerJSON;
type TextTask = st.models.TextTask;
type Seq2Seq = st.models.Seq2Seq;
type Seq2SeqTask = st.models.Seq2SeqTask;
type Batch = st.train.Batch;
type Seq2SeqBatch = st.models.Seq2SeqBatch;

/** The text settings of a run (stored in config.json and checked on --resume). */
export function textRunConfig(v: FlagValues<typeof TEXT_TRAIN_FLAGS>, given: (flag: 'copy') => boolean): Record<string, unknown> {
  return {
    context: v.context ?? null, width: v.width ?? null, layers: v.layers ?? null, heads: v.heads ?? null,
    dropout: v.dropout ?? null, vocabSize: v['vocab-size'], evalSubset: v['eval-subset'] ?? null,
    minFreq: v['min-freq'] ?? null, attention: v.attention ?? null, copy: given('copy') ? v.copy : null, labelSmoothing: v['label-smoothing'] ?? null,
  };
}

/** Fills the run config's unset settings (null) from the dataset's recipe, in place, so config.json records them. */
function applyRecipe(config: Record<string, unknown>, recipe: TextRecipe = {}): void {
  for (const [k, v] of Object.entries(recipe)) if (config[k] === null || config[k] === undefined) config[k] = v;
}

/** Cross-entropy with the run's label smoothing (undefined: the trainer's plain cross-entropy). */
function smoothedLoss(config: Record<string, unknown>): ((o: st.Tensor, y: st.Tensor) => st.Tensor) | undefined {
  const eps = (config.labelSmoothing as number | null) ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new StrataError('train', `--label-smoothing must be between 0 and 1, got ${eps}`);
  return eps > 0 ? (o, y) => st.crossEntropy(o, y, { labelSmoothing: eps }) : undefined;
}

function modelKind(cmd: string, model: string, dataset: string): TextKind {
  const kind = textDataset(dataset).kind;
  const mk = TEXT_MODEL_KINDS[model];
  const fits = Object.entries(TEXT_MODEL_KINDS).filter(([, k]) => k === kind).map(([m]) => m);
  if (mk === undefined) throw new StrataError(cmd, `'${model}' is an image model; ${dataset} is a text dataset: use ${fits.join(', ')}`);
  if (mk !== kind) throw new StrataError(cmd, `'${model}' is a ${mk === 'lm' ? 'language model' : mk === 'seq2seq' ? 'seq2seq model' : 'text classifier'}; ${dataset} is a ${kind === 'lm' ? 'language-modelling' : kind} dataset: use ${fits.join(', ')}`);
  return kind;
}

/** The model config the width/layers/heads/dropout flags give, in each model's own option names. */
function modelConfigOf(model: string, c: Record<string, unknown>): Record<string, unknown> {
  const transformer = model === 'char-transformer' || model === 'gpt' || model === 'transformer-classifier' || model === 'bert';
  const cfg: Record<string, unknown> = transformer
    ? { dModel: c.width, nLayer: c.layers, nHead: c.heads, dropout: c.dropout }
    : model === 'seq2seq'
      ? { hiddenSize: c.width, embedDim: c.width, dropout: c.dropout, attention: c.attention, copy: c.copy }
      : { hiddenSize: c.width, numLayers: c.layers, dropout: c.dropout };
  return Object.fromEntries(Object.entries(cfg).filter(([, v]) => v !== null && v !== undefined));
}

function subsetOf<S>(ds: Dataset<S>, n: unknown): Dataset<S> {
  const idx = spread(n as number | null, ds.length);
  return idx ? new Subset(ds, idx) : ds;
}

interface Seq2SeqScore {
  bleu: number;
  exactMatch: number;
  baselineBleu: number;
  baselineExactMatch: number;
}

function scoreSeq2Seq(model: Seq2Seq, sources: readonly Int32Array[], rawSources: readonly string[], references: readonly string[], source: Tokenizer, target: Tokenizer): Seq2SeqScore & { candidates: string[] } {
  const candidates = st.models.greedyDecode(model, sources, rawSources.map((s) => source.tokenize(s)), target);
  const base = rawSources.map(restoreBaseline);
  return {
    candidates, bleu: bleu(candidates, references).bleu, exactMatch: exactMatch(candidates, references),
    baselineBleu: bleu(base, references).bleu, baselineExactMatch: exactMatch(base, references),
  };
}

/** Language models see their outputs flattened to [B·T, vocab] against targets [B·T]. */
const lmForward = (model: st.nn.Module, V: number) => (x: st.Tensor) => st.reshape(model.forward(x) as st.Tensor, [-1, V]);
const lmLoss = (o: st.Tensor, y: st.Tensor) => st.crossEntropy(o, st.reshape(y, [-1]));

/** Builds a text run: tokenizer, datasets, model (after seeding) and how each epoch is scored. */
export async function textJob(dataDir: string | undefined, config: Record<string, unknown>): Promise<TrainJob> {
  const name = String(config.dataset), modelName = String(config.model);
  const entry = textDataset(name);
  const kind = modelKind('train', modelName, name);
  applyRecipe(config, entry.defaults);
  const ctx = (config.context as number | null) ?? entry.defaultContext;
  const batchSize = Number(config.batchSize);
  const seed = Number(config.seed);
  const modelConfig = modelConfigOf(modelName, config);
  const loaderGen = new st.Generator(seed + 1);
  const evalSplit = entry.evalSplit;
  const evalPrefix = evalSplit === 'validation' ? 'val' : 'test';

  if (kind === 'lm') {
    const trainText = lmText(name, 'train', dataDir);
    const tok = CharTokenizer.fromText(trainText);
    const train = new LanguageModelingDataset(tok.encode(trainText), ctx);
    const val = new LanguageModelingDataset(tok.encode(lmText(name, evalSplit, dataDir)), ctx);
    const task: TextTask = { vocabSize: tok.vocabSize, contextLength: ctx };
    st.manualSeed(seed);
    const model = createModel(modelName, task, modelConfig);
    const V = tok.vocabSize;
    return {
      task, model, validationName: evalPrefix, numClasses: V,
      trainLoader: new DataLoader(subsetOf(train, config.subset), { batchSize, shuffle: true, generator: loaderGen }) as st.data.DataLoader<unknown, Batch>,
      validation: new DataLoader(subsetOf(val, config.evalSubset), { batchSize: 64 }),
      forward: lmForward(model, V), lossFn: lmLoss,
      extraConfig: { modelConfig, tokenizer: tok.toJSON() },
      annotate: (log) => {
        // losses are in nats per character; bits per character = nats / ln 2
        log.train_bpc = log.train_loss / Math.LN2;
        const v = log[`${evalPrefix}_loss`];
        if (v !== undefined) log[`${evalPrefix}_bpc`] = v / Math.LN2;
        delete log[`${evalPrefix}_macro_f1`];
      },
      best: { key: `${evalPrefix}_loss`, mode: 'min' },
      result: (last) => `${evalSplit} loss: ${last[`${evalPrefix}_loss`]?.toFixed(4)} nats/char (${last[`${evalPrefix}_bpc`]?.toFixed(4)} bits/char, next-char accuracy ${(100 * (last[`${evalPrefix}_accuracy`] ?? 0)).toFixed(2)}%, epoch ${last.epoch})`,
    };
  }

  if (kind === 'classification') {
    const train = classificationSplit(name, 'train', dataDir);
    const test = classificationSplit(name, evalSplit, dataDir);
    const tok = WordTokenizer.fromTexts(train.texts, { maxSize: Number(config.vocabSize), minFreq: (config.minFreq as number | null) ?? 1 });
    const task: TextTask = { vocabSize: tok.vocabSize, contextLength: ctx, numClasses: train.classes.length };
    st.manualSeed(seed);
    const model = createModel(modelName, task, modelConfig);
    const collate = textCollate({ maxLength: ctx });
    return {
      task, model, validationName: evalPrefix, numClasses: train.classes.length,
      trainLoader: new DataLoader(subsetOf(train.encode(tok, { maxLength: ctx }), config.subset), { batchSize, shuffle: true, generator: loaderGen, collate }) as st.data.DataLoader<unknown, Batch>,
      validation: new DataLoader(subsetOf(test.encode(tok, { maxLength: ctx }), config.evalSubset), { batchSize: 256, collate }),
      lossFn: smoothedLoss(config),
      extraConfig: { modelConfig, tokenizer: tok.toJSON(), classes: train.classes },
      best: { key: `${evalPrefix}_accuracy`, mode: 'max' },
      result: (last) => `${evalSplit} accuracy: ${(100 * (last[`${evalPrefix}_accuracy`] ?? 0)).toFixed(2)}% (epoch ${last.epoch}, ${evalSplit} loss ${last[`${evalPrefix}_loss`]?.toFixed(4)}, macro F1 ${(100 * (last[`${evalPrefix}_macro_f1`] ?? 0)).toFixed(2)}%)`,
    };
  }

  const train = seq2seqSplit(name, 'train', dataDir);
  const test = seq2seqSplit(name, evalSplit, dataDir);
  const toks = KJVRestoration.tokenizers(train, { maxSize: Number(config.vocabSize), minFreq: (config.minFreq as number | null) ?? 1 });
  if (modelConfig.copy) toks.target = new WordTokenizer([...toks.target.words, CAP_UNK], { split: toks.target.split, lower: toks.target.lower });
  const targetLength = ctx + 2;
  const task: Seq2SeqTask = { vocabSize: toks.source.vocabSize, contextLength: ctx, targetVocabSize: toks.target.vocabSize, targetLength };
  st.manualSeed(seed);
  const model = createModel(modelName, task, modelConfig) as Seq2Seq;
  if (model.copyMap) setCopyMap(model, toks.source, toks.target);
  const lengths = { maxSourceLength: ctx, maxTargetLength: targetLength };
  const testIdx = spread(config.evalSubset as number | null, test.length) ?? Array.from({ length: test.length }, (_, i) => i);
  const testEnc = encodePairs(test, toks.source, toks.target, lengths);
  const evalSet = new Subset(testEnc, testIdx);
  const collate = seq2seqCollate as (s: unknown[]) => Batch;
  return {
    task, model, validationName: evalPrefix, numClasses: toks.target.vocabSize,
    trainLoader: new DataLoader(subsetOf(encodePairs(train, toks.source, toks.target, lengths), config.subset), { batchSize, shuffle: true, generator: loaderGen, collate }) as st.data.DataLoader<unknown, Batch>,
    validation: new DataLoader(evalSet, { batchSize: 256, collate }),
    forward: (x, b) => model.logitsAt(x, (b as Seq2SeqBatch).yIn, (b as Seq2SeqBatch).sel),
    lossFn: smoothedLoss(config),
    extraConfig: { modelConfig, tokenizer: toks.source.toJSON(), targetTokenizer: toks.target.toJSON() },
    annotate: (log) => {
      const s = scoreSeq2Seq(model, testIdx.map((i) => testEnc.ids[i]), testIdx.map((i) => test.sources[i]), testIdx.map((i) => test.targets[i]), toks.source, toks.target);
      log[`${evalPrefix}_bleu`] = s.bleu;
      log[`${evalPrefix}_exact_match`] = s.exactMatch;
      log[`${evalPrefix}_baseline_bleu`] = s.baselineBleu;
      log[`${evalPrefix}_baseline_exact_match`] = s.baselineExactMatch;
      delete log[`${evalPrefix}_macro_f1`];
    },
    best: { key: `${evalPrefix}_bleu`, mode: 'max' },
    result: (last) => `${evalSplit} BLEU: ${(100 * (last[`${evalPrefix}_bleu`] ?? 0)).toFixed(2)}, exact match ${(100 * (last[`${evalPrefix}_exact_match`] ?? 0)).toFixed(2)}% (epoch ${last.epoch}, ${evalSplit} loss ${last[`${evalPrefix}_loss`]?.toFixed(4)}; the capitalise-and-full-stop baseline: BLEU ${(100 * (last[`${evalPrefix}_baseline_bleu`] ?? 0)).toFixed(2)}, exact match ${(100 * (last[`${evalPrefix}_baseline_exact_match`] ?? 0)).toFixed(2)}%)`,
  };
}

/** A text run's tokenizer(s) from its config. */
export function runTokenizer(config: Record<string, unknown>, key: 'tokenizer' | 'targetTokenizer' = 'tokenizer'): Tokenizer {
  const j = config[key];
  if (!j) throw new StrataError('eval', `the run's config has no ${key} (was it written by strata train on a text dataset?)`);
  return tokenizerFromJSON(j as TokenizerJSON);
}

/** `strata eval` on a text run: the loss (and bits per char), accuracy/F1, or BLEU/exact match on a split. */
export async function textEval(opts: { split?: TextSplit; dataDir?: string; json?: boolean }, model: st.nn.Module, config: Record<string, unknown>): Promise<number> {
  const name = String(config.dataset), modelName = String(config.model);
  const entry = textDataset(name);
  const kind = modelKind('eval', modelName, name);
  const split = opts.split ?? entry.evalSplit;
  if (!entry.splits.includes(split)) throw new StrataError('eval', `${name} has no '${split}' split; it has ${entry.splits.join(', ')}`);
  const dataDir = opts.dataDir;
  const task = config.task as Seq2SeqTask;
  const ctx = task.contextLength;
  const tok = runTokenizer(config);
  const json = Boolean(opts.json);
  const say = (lines: string[]) => process.stdout.write(lines.join('\n') + '\n');
  const progress = evalProgress();
  if (kind === 'lm') {
    const ds = new LanguageModelingDataset(tok.encode(lmText(name, split, dataDir)), ctx);
    const trainer = new Trainer({ model, optimizer: new st.optim.SGD(model.parameters(), { lr: 0 }), forward: lmForward(model, tok.vocabSize), lossFn: lmLoss, numClasses: tok.vocabSize, callbacks: progress.callbacks });
    const r = await trainer.evaluate(new DataLoader(ds, { batchSize: 64 }));
    progress.done();
    const bpc = r.loss / Math.LN2;
    if (json) say([JSON.stringify({ split, windows: ds.length, context: ctx, loss: r.loss, bpc, accuracy: r.accuracy }, null, 2)]);
    else say([`${modelName} on ${name} ${split} split (${ds.length} windows of ${ctx} characters)`, `loss: ${r.loss.toFixed(4)} nats/char   ${bpc.toFixed(4)} bits/char   next-char accuracy: ${(100 * r.accuracy).toFixed(2)}%`]);
    return 0;
  }
  if (kind === 'classification') {
    const ds = classificationSplit(name, split, dataDir);
    const trainer = new Trainer({ model, optimizer: new st.optim.SGD(model.parameters(), { lr: 0 }), numClasses: ds.classes.length, callbacks: progress.callbacks });
    const r = await trainer.evaluate(new DataLoader(ds.encode(tok, { maxLength: ctx }), { batchSize: 256, collate: textCollate({ maxLength: ctx }) }));
    progress.done();
    if (json) say([JSON.stringify({ split, accuracy: r.accuracy, loss: r.loss, macro_f1: r.macroF1, per_class: r.report, confusion: r.confusion }, null, 2)]);
    else say([`${modelName} on ${name} ${split} split (${ds.length} texts)`, ...formatClassReport(r, ds.classes)]);
    return 0;
  }
  const ds = seq2seqSplit(name, split, dataDir);
  const target = runTokenizer(config, 'targetTokenizer');
  const enc = encodePairs(ds, tok, target, { maxSourceLength: ctx, maxTargetLength: task.targetLength });
  const trainer = new Trainer({
    model, optimizer: new st.optim.SGD(model.parameters(), { lr: 0 }), numClasses: target.vocabSize,
    forward: (x, b) => (model as Seq2Seq).logitsAt(x, (b as Seq2SeqBatch).yIn, (b as Seq2SeqBatch).sel), callbacks: progress.callbacks,
  });
  const r = await trainer.evaluate(new DataLoader(enc, { batchSize: 256, collate: seq2seqCollate as (s: unknown[]) => Batch }));
  progress.done();
  const s = scoreSeq2Seq(model as Seq2Seq, enc.ids, ds.sources, ds.targets, tok, target);
  if (json) {
    say([JSON.stringify({ split, pairs: ds.length, loss: r.loss, token_accuracy: r.accuracy, bleu: s.bleu, exact_match: s.exactMatch, baseline_bleu: s.baselineBleu, baseline_exact_match: s.baselineExactMatch }, null, 2)]);
    return 0;
  }
  const lines = [
    `${modelName} on ${name} ${split} split (${ds.length} pairs)`,
    `BLEU: ${(100 * s.bleu).toFixed(2)}   exact match: ${(100 * s.exactMatch).toFixed(2)}%   loss: ${r.loss.toFixed(4)}   token accuracy: ${(100 * r.accuracy).toFixed(2)}%`,
    `baseline (capitalise, full stop): BLEU ${(100 * s.baselineBleu).toFixed(2)}   exact match ${(100 * s.baselineExactMatch).toFixed(2)}%`,
    '',
  ];
  for (let i = 0; i < Math.min(3, ds.length); i++) lines.push(`source:    ${ds.sources[i]}`, `output:    ${s.candidates[i]}`, `reference: ${ds.targets[i]}`, '');
  say(lines);
  return 0;
}
