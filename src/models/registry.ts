// The model zoo's registry: build a model by name for a task (what the CLI's --model uses).
import { StrataError } from '../tensor/errors.js';
import type { Module } from '../nn/module.js';
import { CNN, LeNet5, MLP, type ImageTask } from './basic.js';
import { BertClassifier, GPT, type TextTask } from './text.js';
import { CharLSTM, RNNClassifier } from './text-rnn.js';
import { Seq2Seq } from './seq2seq.js';
import { resnet18, resnet34, resnet50, seResnet18, seResnet50 } from './resnet.js';
import { resnet20, resnet56 } from './cifar-resnet.js';
import { wrn16_4, wrn28_10 } from './wide-resnet.js';
import { densenet121, densenetBC100 } from './densenet.js';
import { mobilenetV1, mobilenetV2 } from './mobilenet.js';
import { shufflenetV2x0_5, shufflenetV2x1_0, shufflenetV2x1_5, shufflenetV2x2_0 } from './shufflenet.js';
import { googlenet } from './googlenet.js';
import { vgg11, vgg11Bn, vgg16, vgg16Bn } from './vgg.js';
import { vitB16, vitMoeTiny, vitTiny } from './vit.js';
import { mixerB16, mixerTiny } from './mixer.js';
import { AudioOnly, CrossModalFusion, EarlyFusion, ImageOnly, LateFusion } from './fusion.js';

/** A registered model: image models build from an ImageTask, text models from a TextTask. */
export type ModelEntry = ImageModelEntry | TextModelEntry;

interface EntryBase {
  /** One line for `strata train --help` and the README. */
  description: string;
}
export interface ImageModelEntry extends EntryBase {
  kind: 'image';
  build(task: ImageTask, config?: Record<string, unknown>): Module;
  /** Inputs the model needs beside the image (task.inputs fields, e.g. ['audio']): forward(x, ...them). */
  inputs?: string[];
}
export interface TextModelEntry extends EntryBase {
  kind: 'text';
  build(task: TextTask, config?: Record<string, unknown>): Module;
}

const registry = new Map<string, ModelEntry>();

export function registerModel(name: string, entry: ModelEntry): void {
  registry.set(name, entry);
}

registerModel('mlp', { description: 'multilayer perceptron 784-256-128-10 (ReLU)', kind: 'image', build: (t, c) => new MLP(t, c) });
registerModel('cnn', { description: "the seeds' CNN: two 3×3 conv + max-pool blocks (32, 64), linear 128, linear 10", kind: 'image', build: (t, c) => new CNN(t, c) });
registerModel('lenet5', { description: 'LeNet-5 (LeCun et al., 1998): tanh, average pooling', kind: 'image', build: (t) => new LeNet5(t) });

// The convolutional zoo: each model takes its config (width, depth, stem…) from `build`'s second argument;
// inputs of at most 64 px get the CIFAR-style stem (3×3 stride-1 first conv, no early max-pool).
const zoo: [string, string, (t: ImageTask, c: Record<string, unknown>) => Module][] = [
  ['resnet18', 'ResNet-18 (He et al., 2016), torchvision layout', resnet18],
  ['resnet34', 'ResNet-34 (He et al., 2016), torchvision layout', resnet34],
  ['resnet50', 'ResNet-50 (He et al., 2016), bottlenecks, torchvision layout', resnet50],
  ['resnet20', 'CIFAR ResNet-20 (He et al., 2016, §4.2), option-A shortcuts', resnet20],
  ['resnet56', 'CIFAR ResNet-56 (He et al., 2016, §4.2), option-A shortcuts', resnet56],
  ['wrn28_10', 'Wide ResNet WRN-28-10 (Zagoruyko & Komodakis, 2016)', wrn28_10],
  ['wrn16_4', 'Wide ResNet WRN-16-4 (Zagoruyko & Komodakis, 2016)', wrn16_4],
  ['se_resnet18', 'SE-ResNet-18 (Hu et al., 2018): squeeze-and-excitation, reduction 16', seResnet18],
  ['se_resnet50', 'SE-ResNet-50 (Hu et al., 2018): squeeze-and-excitation, reduction 16', seResnet50],
  ['densenet121', 'DenseNet-121 (Huang et al., 2017), BC, k = 32, torchvision layout', densenet121],
  ['densenet_bc_100', 'DenseNet-BC-100, k = 12 (Huang et al., 2017), the CIFAR DenseNet', densenetBC100],
  ['mobilenet_v1', 'MobileNetV1 (Howard et al., 2017): depthwise-separable convolutions', mobilenetV1],
  ['mobilenet_v2', 'MobileNetV2 (Sandler et al., 2018): inverted residuals, ReLU6, torchvision layout', mobilenetV2],
  ['shufflenet_v2_x0_5', 'ShuffleNet V2 x0.5 (Ma et al., 2018): channel split and shuffle', shufflenetV2x0_5],
  ['shufflenet_v2_x1_0', 'ShuffleNet V2 x1.0 (Ma et al., 2018): channel split and shuffle', shufflenetV2x1_0],
  ['shufflenet_v2_x1_5', 'ShuffleNet V2 x1.5 (Ma et al., 2018): channel split and shuffle', shufflenetV2x1_5],
  ['shufflenet_v2_x2_0', 'ShuffleNet V2 x2.0 (Ma et al., 2018): channel split and shuffle', shufflenetV2x2_0],
  ['googlenet', 'GoogLeNet / Inception v1 (Szegedy et al., 2015), batch norm, no auxiliary heads', googlenet],
  ['vgg11', 'VGG-11 (Simonyan & Zisserman, 2015)', vgg11],
  ['vgg11_bn', 'VGG-11 with batch norm', vgg11Bn],
  ['vgg16', 'VGG-16 (Simonyan & Zisserman, 2015)', vgg16],
  ['vgg16_bn', 'VGG-16 with batch norm', vgg16Bn],
];
for (const [name, description, build] of zoo) registerModel(name, { description, kind: 'image', build: (t, c = {}) => build(t, c) });

// Transformers and MLPs on patches (patch 4 on inputs of at most 64 px, the published patch above).
registerModel('vit_tiny', { description: 'small ViT (Dosovitskiy et al., 2021): patch 4, 6 pre-norm blocks, width 64, 4 heads, MLP ratio 2', kind: 'image', build: (t, c = {}) => vitTiny(t, c) });
registerModel('vit_b_16', { description: 'ViT-B/16 (Dosovitskiy et al., 2021), torchvision layout: 12 blocks, width 768, 12 heads', kind: 'image', build: (t, c = {}) => vitB16(t, c) });
registerModel('mixer_tiny', { description: 'small MLP-Mixer (Tolstikhin et al., 2021): patch 4, 6 blocks, C 128, token MLP 64, channel MLP 512', kind: 'image', build: (t, c = {}) => mixerTiny(t, c) });
registerModel('mixer_b_16', { description: 'Mixer-B/16 (Tolstikhin et al., 2021), timm layout: 12 blocks, C 768, token MLP 384, channel MLP 3072', kind: 'image', build: (t, c = {}) => mixerB16(t, c) });
registerModel('vit_moe_tiny', {
  description: 'vit_tiny with mixture-of-experts MLPs in every 2nd block (V-MoE style): 4 experts, top-2, capacity 1.25; Trainer adds the load-balancing loss (0.01·E·Σ f·P)',
  kind: 'image', build: (t, c = {}) => vitMoeTiny(t, c),
});

// Image + audio models (a task with inputs.audio, e.g. av-fashion-mnist): forward(x, audio).
registerModel('av_image', { description: 'image branch alone (2 conv stages + linear) on an image+audio task: ignores the audio', kind: 'image', build: (t, c = {}) => new ImageOnly(t, c) });
registerModel('av_audio', { description: 'audio branch alone (2 conv1d stages over log-mel frames) on an image+audio task: ignores the image', kind: 'image', inputs: ['audio'], build: (t, c = {}) => new AudioOnly(t, c) });
registerModel('fusion_early', { description: 'early fusion: image and audio feature vectors concatenated, joint MLP head', kind: 'image', inputs: ['audio'], build: (t, c = {}) => new EarlyFusion(t, c) });
registerModel('fusion_late', { description: 'late fusion: an image net and an audio net, logits averaged', kind: 'image', inputs: ['audio'], build: (t, c = {}) => new LateFusion(t, c) });
registerModel('fusion_cross', { description: 'cross-modal attention: image feature-map tokens attend to audio frames (MultiheadAttention), MLP block, head on the flattened image tokens', kind: 'image', inputs: ['audio'], build: (t, c = {}) => new CrossModalFusion(t, c) });

// Text models (a TextTask: vocabulary, context length, classes).
registerModel('gpt', { description: 'GPT-style decoder-only language model: 4 pre-norm causal blocks, width 128, 4 heads, tied head', kind: 'text', build: (t, c) => new GPT(t, c) });
registerModel('bert', { description: 'BERT-style encoder classifier: 2 post-norm blocks, width 128, [CLS] or mean pooling, padding mask', kind: 'text', build: (t, c) => new BertClassifier(t, c) });
registerModel('char-transformer', { description: 'character-level GPT language model: 4 pre-norm causal blocks, 4 heads, width 128', kind: 'text', build: (t, c) => new GPT(t, c) });
registerModel('char-lstm', { description: 'character-level LSTM language model: embedding, 2-layer LSTM (hidden 256), linear head', kind: 'text', build: (t, c) => new CharLSTM(t, c) });
registerModel('gru-classifier', { description: 'text classifier: embedding, bidirectional GRU (hidden 128) over the true lengths, mean pooling, linear', kind: 'text', build: (t, c) => new RNNClassifier('gru', t, c) });
registerModel('lstm-classifier', { description: 'text classifier: embedding, bidirectional LSTM (hidden 128) over the true lengths, mean pooling, linear', kind: 'text', build: (t, c) => new RNNClassifier('lstm', t, c) });
registerModel('transformer-classifier', { description: 'BERT-style encoder classifier: 2 post-norm blocks, width 128, 4 heads, mean pooling over non-padding tokens', kind: 'text', build: (t, c) => new BertClassifier(t, { pooling: 'mean', ...c }) });
registerModel('seq2seq', { description: 'GRU encoder–decoder with additive (Bahdanau) or, with attention luong, batched general attention; optional copy scores; hidden 128; teacher forcing, greedy decoding', kind: 'text', build: (t, c) => new Seq2Seq(t, c) });

export function modelNames(): string[] {
  return [...registry.keys()];
}

export function getModel(name: string): ModelEntry {
  const e = registry.get(name);
  if (!e) throw new StrataError('model', `unknown model '${name}'; available: ${modelNames().join(', ')}`);
  return e;
}

/** Builds a model by name; image models take an ImageTask, text models a TextTask. */
export function createModel(name: string, task: ImageTask | TextTask, config: Record<string, unknown> = {}): Module {
  const e = getModel(name);
  const isText = typeof (task as TextTask).vocabSize === 'number';
  if (e.kind === 'text') {
    if (!isText) throw new StrataError('model', `'${name}' is a text model: it needs a TextTask { vocabSize, contextLength, numClasses? }`);
    return e.build(task as TextTask, config);
  }
  if (isText) throw new StrataError('model', `'${name}' is an image model: it needs an ImageTask { inChannels, height, width, numClasses }`);
  return e.build(task as ImageTask, config);
}
