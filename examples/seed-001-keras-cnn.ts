// Seed 001 §4.1: the Keras CNN image classifier, in strata's Keras-style API, on CIFAR-10 or Fashion-MNIST.
// Run: npm run example seed-001-keras-cnn [-- --data-dir cifar-10-batches-bin] [--epochs 10]
import * as st from 'strata-ml';
import { existsSync } from 'node:fs';

const { keras } = st;
const { layers, Sequential } = keras;
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};

// 定义CNN模型 (the model). NOTE: the seed's four 'valid' 3×3 convolutions and pools need images of
// at least 62 px (its input_shape is 224×224×3, yet it trains on 32×32 CIFAR-10, where Keras fails);
// with small images the convolutions pad ('same') so the four blocks fit.
function buildCnnModel(inputShape: number[], numClasses: number): st.keras.Sequential {
  const padding = inputShape[0] < 62 ? 'same' : 'valid';
  const model = new Sequential();
  model.add(new layers.Conv2D(32, [3, 3], { activation: 'relu', inputShape, padding }));
  model.add(new layers.MaxPooling2D([2, 2]));
  model.add(new layers.Conv2D(64, [3, 3], { activation: 'relu', padding }));
  model.add(new layers.MaxPooling2D([2, 2]));
  model.add(new layers.Conv2D(128, [3, 3], { activation: 'relu', padding }));
  model.add(new layers.MaxPooling2D([2, 2]));
  model.add(new layers.Conv2D(128, [3, 3], { activation: 'relu', padding }));
  model.add(new layers.MaxPooling2D([2, 2]));
  model.add(new layers.Flatten());
  model.add(new layers.Dense(512, { activation: 'relu' }));
  model.add(new layers.Dense(numClasses, { activation: 'softmax' }));
  return model;
}

// 训练CNN模型 (training)
async function trainCnnModel(model: st.keras.Sequential, trainData: st.Tensor, trainLabels: st.Tensor, batchSize: number, epochs: number) {
  model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
  await model.fit(trainData, trainLabels, { batchSize, epochs });
  return model;
}

// 测试CNN模型 (testing)
async function testCnnModel(model: st.keras.Sequential, testData: st.Tensor, testLabels: st.Tensor) {
  const [testLoss, testAcc] = await model.evaluate(testData, testLabels);
  console.log(`Test accuracy: ${testAcc} (loss ${testLoss.toFixed(4)})`);
  return testAcc;
}

/** A dataset as whole tensors, images channels-last [N, H, W, C] as Keras loads them. */
function loadData(ds: st.data.ArrayDataset): [st.Tensor, st.Tensor] {
  const x = ds.field('x'), y = ds.field('y');
  const [n, c, h, w] = x.shape;
  const images = st.tensor(x.data as Uint8Array, { shape: [n, c, h, w] }).permute(0, 2, 3, 1).contiguous();
  return [images, st.tensor(y.data as Int32Array, { dtype: 'int64' })];
}

// 主程序 (main)
// 加载数据集 (load the data): CIFAR-10 when its folder is given, else Fashion-MNIST
const cifarDir = arg('data-dir', process.env.CIFAR10_DIR ?? '');
const useCifar = cifarDir !== '' && existsSync(cifarDir);
const [trainSet, testSet] = useCifar
  ? [new st.data.CIFAR10({ root: cifarDir, train: true }), new st.data.CIFAR10({ root: cifarDir, train: false })]
  : [new st.data.FashionMNIST({ train: true }), new st.data.FashionMNIST({ train: false })];
console.log(useCifar ? 'CIFAR-10' : 'Fashion-MNIST (CIFAR-10 not found: pass --data-dir with cifar-10-batches-bin)');
let [trainData, trainLabels] = loadData(trainSet);
let [testData, testLabels] = loadData(testSet);
// 预处理数据 (preprocess)
trainData = trainData.div(255.0);
testData = testData.div(255.0);
// 定义CNN模型 (build)
const model = buildCnnModel(trainData.shape.slice(1), 10);
// 训练CNN模型 (train)
await trainCnnModel(model, trainData, trainLabels, 32, Number(arg('epochs', '10')));
// 测试CNN模型 (test)
await testCnnModel(model, testData, testLabels);
