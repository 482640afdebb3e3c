// TensorFlow.js (pure-JS 'cpu' backend) side of `npm run bench`: the same workloads, as JSON lines.
import { measure as measureIn, parseFlags } from './util.js';

const flags = parseFlags(process.argv.slice(2));
const only = new Set((flags.only ?? '').split(',').filter(Boolean));
// NOTE: @tensorflow/tfjs is not a dependency (it is 270 MB); `bash setup.sh bench` installs it for the peer run.
const TFJS = '@tensorflow/tfjs';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const tf: any = await import(TFJS);
await tf.setBackend('cpu');

const measure = (name: string, fn: () => void, warmup: number, reps: number) => measureIn(only, name, fn, warmup, reps);

for (const [n, reps] of [[512, 3], [2048, 1]] as const) {
  const a = tf.randomNormal([n, n]), b = tf.randomNormal([n, n]);
  measure(`sgemm-${n}`, () => tf.tidy(() => { tf.matMul(a, b).dataSync(); }), 1, reps);
}

type Tf = unknown;
const glorot = (shape: number[], fanIn: number) => tf.variable(tf.randomUniform(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn)));
function step(params: Tf[], forward: () => Tf) {
  const opt = tf.train.adam(1e-3);
  return () => tf.tidy(() => { opt.minimize(forward, false, params); });
}

// the seeds' CNN in NHWC, as TensorFlow lays it out
const x = tf.randomNormal([64, 28, 28, 1]);
const labels = tf.oneHot(tf.randomUniform([64], 0, 10, 'int32'), 10);
const w1 = glorot([3, 3, 1, 32], 9), b1 = tf.variable(tf.zeros([32]));
const w2 = glorot([3, 3, 32, 64], 288), b2 = tf.variable(tf.zeros([64]));
const w3 = glorot([1600, 128], 1600), b3 = tf.variable(tf.zeros([128]));
const w4 = glorot([128, 10], 128), b4 = tf.variable(tf.zeros([10]));
const cnn = () => {
  let h = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, w1, 1, 'valid'), b1)), 2, 2, 'valid');
  h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, w2, 1, 'valid'), b2)), 2, 2, 'valid');
  const f = tf.reshape(h, [64, 1600]);
  const logits = tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(f, w3), b3)), w4), b4);
  return tf.losses.softmaxCrossEntropy(labels, logits);
};
measure('cnn-train-step', step([w1, b1, w2, b2, w3, b3, w4, b4], cnn), 1, 3);

const xm = tf.reshape(x, [64, 784]);
const m1 = glorot([784, 256], 784), c1 = tf.variable(tf.zeros([256]));
const m2 = glorot([256, 128], 256), c2 = tf.variable(tf.zeros([128]));
const m3 = glorot([128, 10], 128), c3 = tf.variable(tf.zeros([10]));
const mlp = () => {
  const h = tf.relu(tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(xm, m1), c1)), m2), c2));
  return tf.losses.softmaxCrossEntropy(labels, tf.add(tf.matMul(h, m3), c3));
};
measure('mlp-train-step', step([m1, c1, m2, c2, m3, c3], mlp), 3, 10);

const u = tf.ones([64, 64]), v = tf.ones([64, 64]);
measure('add-64x64-x1000', () => {
  for (let i = 0; i < 1000; i++) tf.add(u, v).dispose();
}, 2, 10);
