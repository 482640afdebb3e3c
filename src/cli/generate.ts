// `strata generate`: continue a prompt with a trained language model.
import * as st from '../index.js';
import { flags } from './args.js';
import { applyRuntime, defineCommand, RUNTIME_FLAGS } from './command.js';
import { loadRun } from './run-folder.js';
import { TEXT_DATASET_NAMES, TEXT_MODEL_KINDS, textDataset } from './text-datasets.js';
import { runTokenizer } from './text.js';

export const command = defineCommand({
  name: 'generate',
  summary: 'continue a prompt with a trained language model (char-lstm, char-transformer, gpt)',
  usage: '--checkpoint DIR --prompt TEXT [--tokens N --temperature T --top-k K --top-p P --seed S]',
  flags: flags({
    checkpoint: { type: 'string', help: 'run folder of a language-model run (or its .safetensors model file)', valueName: 'DIR' },
    weights: { type: 'string', help: 'which weights in the run folder', default: 'model', choices: ['model', 'best'] },
    prompt: { type: 'string', help: 'the text to continue' },
    tokens: { type: 'int', help: 'how many tokens (characters) to generate', default: 200, min: 0 },
    temperature: { type: 'number', help: 'divides the logits; 0 is greedy (the most likely token every step)', default: 1, min: 0 },
    'top-k': { type: 'int', help: 'sample among the k most likely tokens only', min: 1 },
    'top-p': { type: 'number', help: 'nucleus sampling: among the most likely tokens whose probability reaches p', gt: 0, max: 1 },
    seed: { type: 'int', help: 'sampling seed (the same seed gives the same text)', min: 0, defaultText: 'a random one' },
    ...RUNTIME_FLAGS,
  }),
  run(a) {
    applyRuntime(a);
    const prompt = a.need('prompt');
    const { model, config } = loadRun(a.need('checkpoint'), a.get('weights'), 'generate');
    const lm = model as st.nn.Module & { generate?: (p: number[], o: st.models.GenerateOptions) => st.Tensor };
    if (TEXT_MODEL_KINDS[String(config.model)] !== 'lm' || typeof lm.generate !== 'function') {
      throw new st.StrataError('generate', `the run's model '${config.model}' is not a language model; generate needs a char-lstm, char-transformer or gpt run (trained on ${TEXT_DATASET_NAMES.filter((d) => textDataset(d).kind === 'lm').join(', ')})`);
    }
    const tok = runTokenizer(config);
    const ids = tok.encode(prompt);
    if (ids.length === 0) throw new st.StrataError('generate', '--prompt is empty; give at least one character');
    const unknown = [...new Set(tok.tokenize(prompt).filter((t) => tok.tokenToId(t) === tok.unkId))];
    if (unknown.length) process.stderr.write(`strata generate: ${unknown.map((c) => JSON.stringify(c)).join(', ')} not in the vocabulary (read as <unk>)\n`);
    const seed = a.get('seed') ?? Math.floor(Math.random() * 2 ** 31);
    const out = st.train.withPrecision(st.train.getDefaultPrecision(), () => lm.generate!(ids, {
      maxNewTokens: a.get('tokens'), temperature: a.get('temperature'), topK: a.get('top-k') ?? null, topP: a.get('top-p') ?? null,
      generator: new st.Generator(seed),
    }));
    const all = Array.from(out.data() as ArrayLike<number | bigint>, Number);
    out.dispose();
    process.stdout.write(prompt + tok.decode(all.slice(ids.length)) + '\n');
    return 0;
  },
});
