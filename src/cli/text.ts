// The text side of the CLI: `strata train` jobs for language models, text classifiers and seq2seq, and
// `strata eval` on text runs.
import * as st from '../index.js';
import { StrataError } from '../tensor/errors.js';
import { DataLoader } from '../data/loader.js';
import { Subset, type Dataset } from '../data/dataset.js';
import type { NDArray } from '../data/ndarray.js';
import { CharTokenizer, detokenize, WordTokenizer } from '../data/text/tokenizers.js';
import { LanguageModelingDataset, type Seq2SeqDataset, type TokenizedDataset } from '../data/text/datasets.js';
import { padSequences, textCollate, tokenizerFromJSON } from '../data/text/sequence.js';
import { KJVRestoration, restoreBaseline } from '../data/text/kjv-tasks.js';
import { bleu, exactMatch } from '../data/text/metrics.js';
import { NUM_SPECIAL, type Tokenizer, type TokenizerJSON } from '../data/text/vocab.js';
import { createModel } from '../models/registry.js';
import type { TextTask } from '../models/text.js';
import type { Seq2Seq, Seq2SeqTask } from '../models/seq2seq.js';
import type { Batch } from '../train/trainer.js';
import { Trainer } from '../train/trainer.js';
import type { FlagValues } from './args.js';
import { formatClassReport, type TrainJob } from './run-folder.js';
import {
  classificationSplit, lmText, seq2seqSplit, spread, TEXT_MODEL_KINDS, TEXT_TRAIN_FLAGS, textDataset,
  type TextKind, type TextRecipe, type TextSplit,
} from './text-datasets.js';

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

const int64 = (data: Int32Array, shape: number[]) => st.tensor(data, { dtype: 'int64', shape });

type IdsSample = { x: NDArray<Int32Array>; y: NDArray<Int32Array> };
type Seq2SeqBatch = Batch & { yIn: st.Tensor; sel: st.Tensor };

/**
 * Seq2seq batches: x the padded sources [B, S]; yIn the decoder inputs [B, L] (<bos> and the target but
 * its last token, padded); y the next tokens at the real (non-padding) positions only, flattened [M],
 * and sel their positions in the flattened [B·L] decoder outputs, so the loss and the token accuracy
 * skip padding.
 */
export function seq2seqCollate(samples: IdsSample[]): Seq2SeqBatch {
  const src = padSequences(samples.map((s) => s.x));
  const yIn = padSequences(samples.map((s) => s.y.data.subarray(0, s.y.data.length - 1)));
  const L = yIn.ids.shape[1];
  const y: number[] = [], sel: number[] = [];
  samples.forEach((s, k) => {
    for (let i = 1; i < s.y.data.length; i++) {
      y.push(s.y.data[i]);
      sel.push(k * L + i - 1);
    }
  });
  return {
    x: int64(src.ids.data, src.ids.shape), yIn: int64(yIn.ids.data, yIn.ids.shape),
    y: int64(Int32Array.from(y), [y.length]), sel: int64(Int32Array.from(sel), [sel.length]),
  };
}

const SENTENCE_END = new Set(['.', '?', '!']);

/**
 * Decoded target ids → text, with each <unk> replaced by the source word it attended most (align: the
 * source position per id; sourceWords: the source's tokens), capitalised at the start of the text or
 * after . ? ! (a simple copy mechanism for words outside the target vocabulary); CAP_UNK likewise, always
 * capitalised.
 */
export function decodeWithCopy(ids: readonly number[], align: readonly number[], sourceWords: readonly string[], target: Tokenizer): string {
  const words: string[] = [];
  ids.forEach((id, i) => {
    if (id === target.padId || id === target.bosId || id === target.eosId) return;
    let w = target.idToToken(id);
    const cap = id !== target.unkId && id === target.tokenToId(CAP_UNK);
    if ((id === target.unkId || cap) && sourceWords[align[i]] !== undefined) {
      w = sourceWords[align[i]];
      if (cap || words.length === 0 || SENTENCE_END.has(words[words.length - 1])) w = w[0].toUpperCase() + w.slice(1);
    }
    words.push(w);
  });
  return detokenize(words);
}

/**
 * The target word of a capitalised word outside the target vocabulary. Seq2seq runs with copy add it to
 * the target vocabulary; decodeWithCopy replaces it with the attended source word, capitalised.
 */
export const CAP_UNK = '<Unk>';

/**
 * Seq2seq pairs encoded for training and scoring: as Seq2SeqDataset.encode, and where the target
 * vocabulary has CAP_UNK, every <unk> standing for a capitalised word becomes CAP_UNK.
 */
export function encodePairs(ds: Seq2SeqDataset, source: Tokenizer, target: Tokenizer, lengths: { maxSourceLength?: number; maxTargetLength?: number }): TokenizedDataset<NDArray<Int32Array>> {
  const enc = ds.encode(source, target, lengths);
  const capUnk = target.tokenToId(CAP_UNK);
  if (capUnk === target.unkId) return enc;
  enc.targets.forEach((y: number | Int32Array, i: number) => {
    const words = target.tokenize(ds.targets[i]);
    // y = [<bos>, ids of words…, <eos>]
    for (let k = 0; k < words.length && k + 1 < (y as Int32Array).length; k++) {
      if ((y as Int32Array)[k + 1] === target.unkId && /^\p{Lu}/u.test(words[k])) (y as Int32Array)[k + 1] = capUnk;
    }
  });
  return enc;
}

/** The copy map of a seq2seq model: each source word's target ids as written and capitalised (<unk>, or for the capitalised word CAP_UNK where the target vocabulary has it, where absent). */
export function setCopyMap(model: Seq2Seq, source: Tokenizer, target: Tokenizer): void {
  const asWritten: number[] = [], capitalised: number[] = [];
  const capUnk = target.tokenToId(CAP_UNK);
  for (let i = 0; i < source.vocabSize; i++) {
    const w = i >= NUM_SPECIAL ? source.idToToken(i) : null;
    asWritten.push(w ? target.tokenToId(w) : target.unkId);
    const cap = w ? target.tokenToId(w[0].toUpperCase() + w.slice(1)) : target.unkId;
    // a source word outside either vocabulary may still be copied capitalised
    capitalised.push((w || i === source.unkId) && cap === target.unkId ? capUnk : cap);
  }
  model.setCopyMap(asWritten, capitalised);
}

/** Greedy decoding of sources in batches: the decoded target texts (<unk> copied from sourceWords, see decodeWithCopy). */
function decodeAll(model: Seq2Seq, sources: readonly Int32Array[], sourceWords: readonly (readonly string[])[], target: Tokenizer, batchSize = 128): string[] {
  const out: string[] = [];
  for (let i = 0; i < sources.length; i += batchSize) {
    const p = padSequences(sources.slice(i, i + batchSize));
    const src = int64(p.ids.data, p.ids.shape);
    const r = model.greedyAligned(src);
    r.ids.forEach((ids, k) => out.push(decodeWithCopy(ids, r.align[k], sourceWords[i + k], target)));
    src.dispose();
  }
  return out;
}

interface Seq2SeqScore {
  bleu: number;
  exactMatch: number;
  baselineBleu: number;
  baselineExactMatch: number;
}

function scoreSeq2Seq(model: Seq2Seq, sources: readonly Int32Array[], rawSources: readonly string[], references: readonly string[], source: Tokenizer, target: Tokenizer): Seq2SeqScore & { candidates: string[] } {
  const candidates = decodeAll(model, sources, rawSources.map((s) => source.tokenize(s)), target);
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
      trainLoader: new DataLoader(subsetOf(train, config.subset), { batchSize, shuffle: true, generator: loaderGen }) as DataLoader<unknown, Batch>,
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
      trainLoader: new DataLoader(subsetOf(train.encode(tok, { maxLength: ctx }), config.subset), { batchSize, shuffle: true, generator: loaderGen, collate }) as DataLoader<unknown, Batch>,
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
    trainLoader: new DataLoader(subsetOf(encodePairs(train, toks.source, toks.target, lengths), config.subset), { batchSize, shuffle: true, generator: loaderGen, collate }) as DataLoader<unknown, Batch>,
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
  if (kind === 'lm') {
    const ds = new LanguageModelingDataset(tok.encode(lmText(name, split, dataDir)), ctx);
    const trainer = new Trainer({ model, optimizer: new st.optim.SGD(model.parameters(), { lr: 0 }), forward: lmForward(model, tok.vocabSize), lossFn: lmLoss, numClasses: tok.vocabSize });
    const r = await trainer.evaluate(new DataLoader(ds, { batchSize: 64 }));
    const bpc = r.loss / Math.LN2;
    if (json) say([JSON.stringify({ split, windows: ds.length, context: ctx, loss: r.loss, bpc, accuracy: r.accuracy }, null, 2)]);
    else say([`${modelName} on ${name} ${split} split (${ds.length} windows of ${ctx} characters)`, `loss: ${r.loss.toFixed(4)} nats/char   ${bpc.toFixed(4)} bits/char   next-char accuracy: ${(100 * r.accuracy).toFixed(2)}%`]);
    return 0;
  }
  if (kind === 'classification') {
    const ds = classificationSplit(name, split, dataDir);
    const trainer = new Trainer({ model, optimizer: new st.optim.SGD(model.parameters(), { lr: 0 }), numClasses: ds.classes.length });
    const r = await trainer.evaluate(new DataLoader(ds.encode(tok, { maxLength: ctx }), { batchSize: 256, collate: textCollate({ maxLength: ctx }) }));
    if (json) say([JSON.stringify({ split, accuracy: r.accuracy, loss: r.loss, macro_f1: r.macroF1, per_class: r.report, confusion: r.confusion }, null, 2)]);
    else say([`${modelName} on ${name} ${split} split (${ds.length} texts)`, ...formatClassReport(r, ds.classes)]);
    return 0;
  }
  const ds = seq2seqSplit(name, split, dataDir);
  const target = runTokenizer(config, 'targetTokenizer');
  const enc = encodePairs(ds, tok, target, { maxSourceLength: ctx, maxTargetLength: task.targetLength });
  const trainer = new Trainer({
    model, optimizer: new st.optim.SGD(model.parameters(), { lr: 0 }), numClasses: target.vocabSize,
    forward: (x, b) => (model as Seq2Seq).logitsAt(x, (b as Seq2SeqBatch).yIn, (b as Seq2SeqBatch).sel),
  });
  const r = await trainer.evaluate(new DataLoader(enc, { batchSize: 256, collate: seq2seqCollate as (s: unknown[]) => Batch }));
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
