// The CLI's argument parser (src/cli/args.ts) in-process, and the command registry through bin/strata.js.
import { strataInProcess } from './helpers.js';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { didYouMean, flags, helpText, parseCommandLine, UsageError } from '../src/cli/args.js';

const root = new URL('../..', import.meta.url).pathname;
const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/strata.js'), ...args], { encoding: 'utf8' });

const inProcess = strataInProcess;

const SPEC = flags({
  out: { type: 'string', help: 'run folder', valueName: 'DIR', defaultText: 'runs/X' },
  epochs: { type: 'int', help: 'epochs', default: 5, min: 1 },
  lr: { type: 'number', help: 'learning rate', gt: 0 },
  smoothing: { type: 'number', help: 'label smoothing', min: 0, max: 1 },
  optimizer: { type: 'string', help: 'optimizer', default: 'adam', choices: ['adam', 'sgd'] },
  copy: { type: 'boolean', help: 'copy' },
  help: { type: 'boolean', help: 'show this help', short: 'h' },
});
const parse = (...argv: string[]) => parseCommandLine('t', argv, SPEC, { name: 'FILE', max: 2 });
/** The UsageError message of parsing argv (fails the test when it parses). */
function refusal(...argv: string[]): string {
  try {
    parse(...argv);
  } catch (e) {
    assert.ok(e instanceof UsageError, String(e));
    return e.message;
  }
  assert.fail(`${argv.join(' ')} was accepted`);
}

describe('strata argument parser', () => {
  it('types values from the spec; defaults; booleans; positionals; -h', () => {
    const a = parse('--epochs', '3', '--lr=0.5', 'x.png', '--copy', '--optimizer', 'sgd');
    const epochs: number = a.get('epochs');
    const lr: number | undefined = a.get('lr');
    const opt: 'adam' | 'sgd' = a.get('optimizer');
    assert.deepEqual([epochs, lr, opt, a.get('copy'), a.get('out')], [3, 0.5, 'sgd', true, undefined]);
    assert.deepEqual(a.positional, ['x.png']);
    assert.ok(a.given('epochs') && !a.given('out'));
    const d = parse();
    assert.deepEqual([d.get('epochs'), d.get('optimizer'), d.get('copy')], [5, 'adam', false]);
    assert.ok(!d.given('epochs'), 'a default is not given');
    assert.equal(parse('--copy=false').get('copy'), false);
    assert.equal(parse('-h').get('help'), true);
    assert.equal(parse('--lr', '1e-3').get('lr'), 0.001);
    assert.deepEqual(parse('--', '--not-a-flag').positional, ['--not-a-flag']);
  });

  it('refuses a flag taken as a value, an empty value, a missing value', () => {
    assert.match(refusal('--out', '--epochs', '1'), /^t: --out needs a value, got the flag --epochs/);
    assert.match(refusal('--out', ''), /--out is empty/);
    assert.match(refusal('--lr='), /--lr needs a number, got ''/);
    assert.match(refusal('--epochs'), /--epochs needs a value$/);
    assert.match(refusal('--epochs', '2.5'), /--epochs needs an integer, got '2.5'/);
    assert.match(refusal('--lr', 'abc'), /--lr needs a number, got 'abc'/);
    assert.match(refusal('--copy=maybe'), /--copy is on or off/);
  });

  it('checks ranges and choices declared in the spec, negative numbers included', () => {
    assert.match(refusal('--lr', '-1'), /--lr must be positive, got -1/);
    assert.match(refusal('--lr', '0'), /--lr must be positive, got 0/);
    assert.match(refusal('--epochs', '0'), /--epochs must be at least 1, got 0/);
    assert.match(refusal('--smoothing', '2'), /--smoothing must be between 0 and 1, got 2/);
    assert.match(refusal('--smoothing=-0.5'), /--smoothing must be between 0 and 1, got -0.5/);
    assert.equal(parse('--smoothing', '1').get('smoothing'), 1);
    assert.match(refusal('--optimizer', 'sdg'), /--optimizer must be one of adam, sgd, got 'sdg'; did you mean 'sgd'\?/);
  });

  it('names unknown flags with a did-you-mean; too many positionals', () => {
    assert.match(refusal('--epoch', '3'), /unknown option --epoch; did you mean --epochs\?/);
    assert.match(refusal('--optimiser', 'sgd'), /did you mean --optimizer\?/);
    assert.doesNotMatch(refusal('--zzz'), /did you mean/);
    assert.match(refusal('a', 'b', 'c'), /too many arguments: 'c'/);
    assert.equal(didYouMean('trian', ['train', 'eval']), 'train');
    assert.equal(didYouMean('xyz', ['train', 'eval']), null);
  });

  it('help: aligned columns, ranges and defaults shown', () => {
    const h = helpText('usage: strata t', SPEC);
    const rows = h.split('\n').filter((l) => l.startsWith('  -'));
    // where each row's help text starts: after the flag and its run of spaces
    const col = rows.map((r) => /^ {2}\S.*?\S {2,}/.exec(r)![0].length);
    assert.equal(new Set(col).size, 1, `help columns at ${col.join(', ')}:\n${h}`);
    assert.match(h, /--out DIR +run folder \(default runs\/X\)/);
    assert.match(h, /--epochs N +epochs \(at least 1; default 5\)/);
    assert.match(h, /-h, --help +show this help/);
  });

  it('the strata command: exit 2 and one line naming the flag; no doubled prefix; -h; did-you-mean for commands', async () => {
    const r = cli('train', '--out', '--epochs', '1');
    assert.equal(r.status, 2);
    assert.equal(r.stderr, 'strata train: --out needs a value, got the flag --epochs (write --out=--epochs if that is the value)\n');
    const bad = [
      ['train', '--clip-grad', '-1'], ['train', '--momentum', '-0.5'], ['train', '--weight-decay', '-1'], ['train', '--early-stop', '0'],
      ['train', '--threads', '0'], ['train', '--minutes', '-1'], ['train', '--lr='], ['train', '--subset', '0'], ['train', '--label-smoothing', '2'],
      ['predict', '--top', '0'], ['train', '--out', ''],
    ];
    for (const argv of bad) {
      const b = await inProcess(...argv);
      assert.equal(b.status, 2, `${argv.join(' ')}: ${b.stderr}`);
      assert.match(b.stderr, new RegExp(`^strata ${argv[0]}: ${argv[1].replace(/=.*/, '')} `), argv.join(' '));
      assert.equal(b.stderr.split('\n').length, 2, `one line: ${b.stderr}`);
      assert.doesNotMatch(b.stderr, /strata (\w+): \1:/, 'no doubled prefix');
    }
    // a StrataError thrown with the command's name is not prefixed twice
    const res = await inProcess('train', '--out', join(root, 'no-such-run-folder'), '--resume');
    assert.equal(res.status, 1);
    assert.match(res.stderr, /^strata train: --resume: /);
    const h = await inProcess('eval', '-h');
    assert.equal(h.status, 0);
    assert.match(h.stdout, /^usage: strata eval --checkpoint DIR/);
    const u = await inProcess('trian');
    assert.equal(u.status, 2);
    assert.match(u.stderr, /unknown command 'trian'; did you mean 'train'\?/);
    const top = await inProcess('--help');
    for (const c of ['eval', 'generate', 'info', 'predict', 'summary', 'train']) assert.match(top.stdout, new RegExp(`^  ${c} +\\S`, 'm'));
  });
});
