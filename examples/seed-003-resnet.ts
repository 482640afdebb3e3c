// Seed 003 §4: the PyTorch ResNet (residual blocks), in strata, trained on CIFAR-10 or Fashion-MNIST.
// Run: npm run example seed-003-resnet [-- --data-dir cifar-10-batches-bin] [--train-images 5000] [--epochs 1]
import * as st from 'strata-ml';
import { existsSync } from 'node:fs';

const { nn } = st;
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};

// 定义残差块 (the residual block)
class ResidualBlock extends nn.Module {
  conv1: st.nn.Conv2d; bn1: st.nn.BatchNorm2d; relu: st.nn.ReLU; conv2: st.nn.Conv2d; bn2: st.nn.BatchNorm2d; shortcut: st.nn.Sequential;
  constructor(inChannels: number, outChannels: number, stride = 1) {
    super();
    this.conv1 = new nn.Conv2d(inChannels, outChannels, 3, { stride, padding: 1, bias: false });
    this.bn1 = new nn.BatchNorm2d(outChannels);
    this.relu = new nn.ReLU();
    this.conv2 = new nn.Conv2d(outChannels, outChannels, 3, { stride: 1, padding: 1, bias: false });
    this.bn2 = new nn.BatchNorm2d(outChannels);
    if (stride !== 1 || inChannels !== outChannels) {
      this.shortcut = new nn.Sequential(
        new nn.Conv2d(inChannels, outChannels, 1, { stride, bias: false }),
        new nn.BatchNorm2d(outChannels),
      );
    } else {
      this.shortcut = new nn.Sequential();
    }
  }
  forward(x: st.Tensor): st.Tensor {
    let out = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
    out = this.bn2.forward(this.conv2.forward(out));
    out = out.add(this.shortcut.forward(x)); // out += self.shortcut(x)
    out = this.relu.forward(out);
    return out;
  }
}

// 构建残差网络 (the residual network). NOTE: the seed's first convolution takes 3 channels;
// `inChannels` lets the same network read grayscale Fashion-MNIST when CIFAR-10 is absent.
class ResNet extends nn.Module {
  inChannels = 64;
  conv1: st.nn.Conv2d; bn1: st.nn.BatchNorm2d; relu: st.nn.ReLU;
  layer1: st.nn.Sequential; layer2: st.nn.Sequential; layer3: st.nn.Sequential; layer4: st.nn.Sequential;
  avgPool: st.nn.AdaptiveAvgPool2d; fc: st.nn.Linear;
  constructor(block: typeof ResidualBlock, numBlocks: number[], numClasses = 10, imageChannels = 3) {
    super();
    this.conv1 = new nn.Conv2d(imageChannels, 64, 3, { stride: 1, padding: 1, bias: false });
    this.bn1 = new nn.BatchNorm2d(64);
    this.relu = new nn.ReLU();
    this.layer1 = this.makeLayer(block, 64, numBlocks[0], 1);
    this.layer2 = this.makeLayer(block, 128, numBlocks[1], 2);
    this.layer3 = this.makeLayer(block, 256, numBlocks[2], 2);
    this.layer4 = this.makeLayer(block, 512, numBlocks[3], 2);
    this.avgPool = new nn.AdaptiveAvgPool2d([1, 1]);
    this.fc = new nn.Linear(512, numClasses);
  }
  private makeLayer(block: typeof ResidualBlock, outChannels: number, numBlocks: number, stride: number): st.nn.Sequential {
    const strides = [stride, ...new Array<number>(numBlocks - 1).fill(1)];
    const layers: st.nn.Module[] = [];
    for (const s of strides) {
      layers.push(new block(this.inChannels, outChannels, s));
      this.inChannels = outChannels;
    }
    return new nn.Sequential(...layers);
  }
  forward(x: st.Tensor): st.Tensor {
    let out = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
    out = this.layer1.forward(out);
    out = this.layer2.forward(out);
    out = this.layer3.forward(out);
    out = this.layer4.forward(out);
    out = this.avgPool.forward(out);
    out = out.view(out.size(0), -1);
    out = this.fc.forward(out);
    return out;
  }
}

// the data: CIFAR-10 when its folder is given, else Fashion-MNIST from Debian's package
const cifarDir = arg('data-dir', process.env.CIFAR10_DIR ?? '');
const useCifar = cifarDir !== '' && existsSync(cifarDir);
const norm = useCifar ? st.data.CIFAR10 : st.data.FashionMNIST;
const transform = st.data.compose([st.data.toTensor(), st.data.normalize([...norm.mean], [...norm.std])]);
const train = useCifar ? new st.data.CIFAR10({ root: cifarDir, train: true, transform }) : new st.data.FashionMNIST({ train: true, transform });
const test = useCifar ? new st.data.CIFAR10({ root: cifarDir, train: false, transform }) : new st.data.FashionMNIST({ train: false, transform });
const nTrain = Math.min(train.length, Number(arg('train-images', '5000')));

st.manualSeed(0);
const model = new ResNet(ResidualBlock, [2, 2, 2, 2], 10, useCifar ? 3 : 1); // ResNet-18
console.log(`ResNet-18 (seed 003) on ${useCifar ? 'CIFAR-10' : 'Fashion-MNIST (CIFAR-10 not found: pass --data-dir)'}: ${model.numParameters().toLocaleString('en-US')} parameters, training on ${nTrain} images`);
const trainer = new st.train.Trainer({
  model, optimizer: new st.optim.Adam(model.parameters(), { lr: 1e-3 }), callbacks: [new st.train.ProgressLogger()],
});
const subset = new st.data.Subset(train, Array.from({ length: nTrain }, (_, i) => i));
await trainer.fit(new st.data.DataLoader(subset, { batchSize: 64, shuffle: true, seed: 1 }), { epochs: Number(arg('epochs', '1')) });
const r = await trainer.evaluate(new st.data.DataLoader(test, { batchSize: 200 }));
console.log(`test accuracy: ${(100 * r.accuracy).toFixed(2)}%, macro F1 ${(100 * r.macroF1).toFixed(2)}%`);
