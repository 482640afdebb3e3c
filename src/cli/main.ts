// The `strata` command line: a thin layer over the public API.
import { StrataError } from '../tensor/errors.js';
import { info } from '../info.js';
import { cmdSummary } from './summary.js';
import { cmdEval, cmdTrain } from './train.js';
import { cmdPredict } from './predict.js';
import { cmdGenerate } from './text.js';
import { cmdPretrain } from './pretrain.js';
import { cmdProbe } from './probe.js';
import { cmdEnsemble } from './ensemble.js';

const USAGE = `usage: strata <command> [options]

commands:
  info        version, backend, libtorch/ATen version and thread count
  train       train a model on an image or text dataset into a run folder (strata train --help)
  eval        a run on its test set: accuracy, macro F1 and the confusion matrix (text: loss, BLEU)
  predict     classify an image file (PNG) or a data-set sample with a trained run
  generate    continue a prompt with a trained language model (char-lstm, char-transformer)
  summary     a model's layers, output shapes, parameters and multiply-adds
  pretrain    self-supervised pre-training (autoencoder, denoising, vae, simclr) of a model's encoder
  probe       a run's frozen features: linear-probe and k-NN accuracy
  ensemble    trained runs as one model: mean, vote or stacking (or the snapshots of one run)
`;

/** Runs a CLI command; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'info':
        return cmdInfo(rest);
      case 'summary':
        return cmdSummary(rest);
      case 'train':
        return await cmdTrain(rest);
      case 'eval':
        return await cmdEval(rest);
      case 'predict':
        return await cmdPredict(rest);
      case 'generate':
        return await cmdGenerate(rest);
      case 'pretrain':
        return await cmdPretrain(rest);
      case 'probe':
        return await cmdProbe(rest);
      case 'ensemble':
        return await cmdEnsemble(rest);
      case undefined: case '-h': case '--help': case 'help':
        process.stdout.write(USAGE);
        return 0;
      default:
        process.stderr.write(`strata: unknown command '${cmd}'\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof StrataError) {
      process.stderr.write(`strata ${cmd}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

function cmdInfo(args: string[]): number {
  const i = info();
  if (args.includes('--json')) {
    process.stdout.write(JSON.stringify(i, null, 2) + '\n');
    return 0;
  }
  const lines = [
    `strata ${i.version}`,
    `backend: ${i.backend.name}${i.backend.detail ? ` (${i.backend.detail.split(';')[0]})` : ''}`,
    `libtorch/ATen: ${i.backend.atenVersion ?? 'not in use (js backend)'}`,
    `threads: ${i.backend.threads}`,
    `node: ${i.node}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
