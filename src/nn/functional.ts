// nn.functional: the stateless ops layers call (as torch.nn.functional).
export {
  linear, conv1d, conv2d, convTranspose1d, convTranspose2d, maxPool1d, maxPool2d, maxPool2dWithIndices,
  avgPool1d, avgPool2d, adaptiveAvgPool1d, adaptiveAvgPool2d, batchNorm, layerNorm, groupNorm, dropout,
  embedding, oneHot, relu, leakyRelu, elu, gelu, silu, sigmoid, tanh, softplus, softmax, logSoftmax,
  crossEntropy, nllLoss, mseLoss, l1Loss, smoothL1Loss, binaryCrossEntropy, binaryCrossEntropyWithLogits, klDiv,
  pad, lstm, gru, rnn, lstmCell, gruCell, rnnCell,
  scaledDotProductAttention, multiheadAttentionForward, additiveAttention, applyRotary,
  interpolate, adaptiveMaxPool2d, pixelShuffle, pixelUnshuffle, padMode, instanceNorm, normalize, cosineSimilarity,
  pairwiseDistance, cdist, logSigmoid, mish, hardswish, hardsigmoid, selu, glu, prelu, huberLoss, tripletMarginLoss,
  cosineEmbeddingLoss, marginRankingLoss,
} from '../ops/index.js';
