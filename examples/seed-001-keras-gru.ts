// Seed 001 §4.2: the Keras GRU text model, in strata's Keras-style API, on IMDB or the KJV genre task.
// Run: npm run example seed-001-keras-gru [-- --data-dir aclImdb] [--epochs 4] [--limit N]
// (IMDB_DIR=… works too). Without IMDB it classifies KJV verses by the genre of their book (6 classes).
import * as st from 'strata-ml';
import { existsSync } from 'node:fs';

const { keras } = st;
const { layers, Sequential } = keras;
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};

// 定义RNN模型 (the model). NOTE: the seed ends in Dense(vocab_size, softmax) on every step of the GRU's
// sequence, a per-token prediction that cannot be trained against one label per review (Keras rejects
// the shapes). The GRU still returns its sequence; GlobalAveragePooling1D averages it over the real
// (unmasked) words and the last Dense has one unit per class. maskZero makes padding id 0 invisible.
function buildRnnModel(vocabSize: number, embeddingDim: number, rnnUnits: number, numClasses: number, maxLength: number): st.keras.Sequential {
  const model = new Sequential();
  model.add(new layers.Embedding(vocabSize, embeddingDim, { inputLength: maxLength, maskZero: true }));
  model.add(new layers.GRU(rnnUnits, { returnSequences: true, dropout: 0.1 }));
  model.add(new layers.GlobalAveragePooling1D());
  model.add(new layers.Dense(rnnUnits, { activation: 'relu' }));
  model.add(new layers.Dense(numClasses, { activation: 'softmax' }));
  return model;
}

// 训练RNN模型 (training)
async function trainRnnModel(model: st.keras.Sequential, trainData: st.Tensor, trainLabels: st.Tensor, batchSize: number, epochs: number) {
  model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
  await model.fit(trainData, trainLabels, { batchSize, epochs });
  return model;
}

// 测试RNN模型 (testing)
async function testRnnModel(model: st.keras.Sequential, testData: st.Tensor, testLabels: st.Tensor) {
  const [testLoss, testAcc] = await model.evaluate(testData, testLabels);
  console.log(`Test accuracy: ${testAcc} (loss ${testLoss.toFixed(4)})`);
  return testAcc;
}

/** Word ids below numWords (0 = padding, as Keras' imdb.load_data(num_words)) and labels of a text set. */
function loadData(ds: st.data.text.TextClassificationDataset, tok: st.data.text.WordTokenizer): [number[][], st.Tensor] {
  return [ds.texts.map((t) => tok.encode(t)), st.tensor(ds.labels, { dtype: 'int64' })];
}

// 主程序 (main)
// 加载数据集 (load the data): IMDB when its aclImdb folder is given, else the KJV genre task
const imdbDir = arg('data-dir', process.env.IMDB_DIR ?? '');
const useImdb = imdbDir !== '' && existsSync(imdbDir);
const T = st.data.text;
let [trainSet, testSet]: st.data.text.TextClassificationDataset[] = useImdb
  ? [new T.IMDB({ root: imdbDir, split: 'train' }), new T.IMDB({ root: imdbDir, split: 'test' })]
  : [new T.KJVGenre({ split: 'train' }), new T.KJVGenre({ split: 'test' })];
console.log(useImdb ? `IMDB from ${imdbDir}` : 'KJV genre task: verses → law, history, wisdom, prophets, gospels, epistles (IMDB not found: pass --data-dir with the aclImdb folder or set IMDB_DIR)');
const limit = Number(arg('limit', '0'));
if (limit > 0) {
  // a shuffled subset, for a quick look
  const pick = (ds: st.data.text.TextClassificationDataset) => {
    const idx = Array.from(st.randperm(ds.length, { generator: new st.Generator(0) }).data() as BigInt64Array, Number).slice(0, limit);
    return new T.TextClassificationDataset(idx.map((i) => ds.texts[i]), idx.map((i) => ds.labels[i]), ds.classes);
  };
  [trainSet, testSet] = [pick(trainSet), pick(testSet)];
}
const numWords = 10000;
const tokenizer = T.WordTokenizer.fromTexts(trainSet.texts, { maxSize: numWords - T.NUM_SPECIAL });
const [trainSeqs, trainLabels] = loadData(trainSet, tokenizer);
const [testSeqs, testLabels] = loadData(testSet, tokenizer);
// 预处理数据 (preprocess)
const maxLength = 100;
const trainData = keras.preprocessing.sequence.padSequences(trainSeqs, { maxlen: maxLength, padding: 'post' });
const testData = keras.preprocessing.sequence.padSequences(testSeqs, { maxlen: maxLength, padding: 'post' });
// 定义RNN模型 (build)
st.manualSeed(0);
const model = buildRnnModel(numWords, 64, 64, trainSet.classes.length, maxLength);
// 训练RNN模型 (train)
await trainRnnModel(model, trainData, trainLabels, 64, Number(arg('epochs', '4')));
// 测试RNN模型 (test)
await testRnnModel(model, testData, testLabels);
