// The README's API example as a runnable file: the seeds' Keras CNN (seed 001 §4.1) on Fashion-MNIST.
// Run: npm run example quick-start [-- --epochs 1]   (tsc compiles it to dist/examples/quick-start.js, node runs that)
import * as st from 'strata-ml';
const { nn, optim, data, train } = st;

const i = process.argv.indexOf('--epochs');
const epochs = i > 0 ? Number(process.argv[i + 1]) : 5;

// conv 3×3 (32), max-pool 2, conv 3×3 (64), max-pool 2, flatten, dense 128, dense 10
const model = new nn.Sequential(
  new nn.Conv2d(1, 32, 3), new nn.ReLU(), new nn.MaxPool2d(2),
  new nn.Conv2d(32, 64, 3), new nn.ReLU(), new nn.MaxPool2d(2),
  new nn.Flatten(), new nn.Linear(64 * 5 * 5, 128), new nn.ReLU(), new nn.Linear(128, 10),
);

const transform = data.compose([data.toTensor(), data.normalize(0.286, 0.353)]);
const trainLoader = new data.DataLoader(new data.FashionMNIST({ train: true, transform }), { batchSize: 64, shuffle: true });
const testLoader = new data.DataLoader(new data.FashionMNIST({ train: false, transform }), { batchSize: 500 });

const trainer = new train.Trainer({ model, optimizer: new optim.Adam(model.parameters(), { lr: 1e-3 }), callbacks: [new train.ProgressLogger()] });
await trainer.fit(trainLoader, { epochs, validation: testLoader });
const { accuracy, macroF1 } = await trainer.evaluate(testLoader);
console.log(`test accuracy ${(100 * accuracy).toFixed(2)}%, macro F1 ${(100 * macroF1).toFixed(2)}%`);
