// strata's text data (`st.data.text`): tokenizers (char, word, byte-level BPE), padding and collation,
// text datasets, the King James Bible and its tasks, IMDB, BLEU/exact match and the bag-of-words baseline.
export type { Tokenizer, TokenizerJSON, EncodeOptions, DecodeOptions } from './vocab.js';
export { SPECIAL_TOKENS, PAD_ID, UNK_ID, BOS_ID, EOS_ID, NUM_SPECIAL } from './vocab.js';
export type { VocabOptions, WordSplit, WordTokenizerOptions } from './tokenizers.js';
export { CharTokenizer, WordTokenizer, splitWords, detokenize, WORD_SPLITS } from './tokenizers.js';
export type { BPETrainOptions } from './bpe.js';
export { ByteBPETokenizer, GPT2_PATTERN, BYTE_OFFSET, FIRST_MERGE_ID } from './bpe.js';
export type { IdSequence, Side, PadOptions, PaddedBatch, TextSample, TextBatch, TextCollateOptions } from './sequence.js';
export { padSequences, truncateIds, textCollate, tokenizerFromJSON } from './sequence.js';
export type { TextClassSample, TokenizeOptions, Seq2SeqPair, LMSample } from './datasets.js';
export { TextClassificationDataset, TokenizedDataset, Seq2SeqDataset, LanguageModelingDataset } from './datasets.js';
export type { KJVBook, Verse, KJVSplit } from './kjv.js';
export { KJV_BOOKS, KJV_GENRES, KJV_SPLITS, KJV_DEFAULT_PATH, kjvSplitOf, kjvReference, loadKJV, kjvVerses, parseKJV, decodeBibleData, decodeLzw } from './kjv.js';
export type { KJVOptions, KJVLanguageModelingOptions, KJVRestorationOptions } from './kjv-tasks.js';
export { KJVLanguageModeling, KJVGenre, KJVRestoration, kjvText, kjvCharTokenizer, restoreSource, restoreBaseline, kjvGenreBaseline } from './kjv-tasks.js';
export type { IMDBOptions } from './imdb.js';
export { IMDB, IMDB_CLASSES } from './imdb.js';
export type { BleuOptions, BleuResult } from './metrics.js';
export { bleu, corpusBleu, sentenceBleu, exactMatch, bleuTokenize } from './metrics.js';
export type { SparseRows, BowOptions, LogisticRegressionOptions, ClassifierReport } from './bow.js';
export { BowVectorizer, BowLogisticRegression, classificationReport } from './bow.js';
