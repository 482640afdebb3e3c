// Text data: tokenizers (char, word, byte-level BPE) with hand-checked encodings, padding and collation,
// the KJV decoder/parser and its tasks and splits, the IMDB reader, BLEU/exact match, the BoW baseline.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backends, flat, st, throwsWith } from './helpers.js';

const T = st.data.text;

const tmp = mkdtempSync(join(tmpdir(), 'strata-text-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const close = (a: number, b: number, tol = 1e-6, msg = '') => assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b}`);

const HAVE_KJV = existsSync(T.KJV_DEFAULT_PATH);
const NO_KJV = HAVE_KJV ? false : 'the KJV is not installed (apt-get install bible-kjv)';

describe('CharTokenizer', () => {
  it('numbers the specials 0..3, then the characters in code-point order', () => {
    const tok = T.CharTokenizer.fromText('hello world');
    assert.deepEqual([T.PAD_ID, T.UNK_ID, T.BOS_ID, T.EOS_ID], [0, 1, 2, 3]);
    assert.deepEqual(tok.chars, [' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w']);
    assert.equal(tok.vocabSize, 12);
    // ' '=4 d=5 e=6 h=7 l=8 o=9 r=10 w=11
    assert.deepEqual(tok.encode('hole'), [7, 9, 8, 6]);
    assert.deepEqual(tok.encode('hex'), [7, 6, 1]);
    assert.deepEqual(tok.encode('we', { addBos: true, addEos: true }), [2, 11, 6, 3]);
    assert.equal(tok.decode([2, 7, 6, 1, 3, 0]), 'he<unk>');
    assert.equal(tok.decode([2, 7, 3, 0], { skipSpecial: false }), '<bos>h<eos><pad>');
    assert.equal(tok.decode(tok.encode('world hello')), 'world hello');
    assert.equal(tok.idToToken(4), ' ');
    assert.equal(tok.tokenToId('w'), 11);
    assert.equal(tok.tokenToId('z'), 1);
    assert.equal(tok.tokenToId('<eos>'), 3);
  });

  it('keeps code points whole, limits the vocabulary by frequency and rejects bad ids', () => {
    const emoji = T.CharTokenizer.fromText('a😀b😀');
    assert.deepEqual(emoji.chars, ['a', 'b', '😀']);
    assert.deepEqual(emoji.encode('😀a'), [6, 4]);
    assert.equal(emoji.decode(emoji.encode('b😀a')), 'b😀a');
    // counts a:3 b:2 c:1 → the two most frequent; ties (x, y once each) by code point
    assert.deepEqual(T.CharTokenizer.fromText('aaabbc', { maxSize: 2 }).chars, ['a', 'b']);
    assert.deepEqual(T.CharTokenizer.fromText('yx', { maxSize: 1 }).chars, ['x']);
    assert.deepEqual(T.CharTokenizer.fromText(['aab', 'bc'], { minFreq: 2 }).chars, ['a', 'b']);
    const tok = T.CharTokenizer.fromText('ab');
    throwsWith(() => tok.decode([4, 6]), 'token id 6 at position 1 is out of range for a vocabulary of 6');
    throwsWith(() => tok.decode([-1]), 'token id -1');
    throwsWith(() => tok.decode([1.5]), 'token id 1.5');
    throwsWith(() => new T.CharTokenizer(['a', 'a']), 'appears twice');
    throwsWith(() => new T.CharTokenizer(['ab']), 'not a single character');
    throwsWith(() => T.CharTokenizer.fromText('ab', { maxSize: 0 }), 'maxSize must be a positive integer');
  });
});

describe('WordTokenizer', () => {
  it('splits like torchtext basic_english, Keras and words-with-punctuation', () => {
    // basic_english: lower; ' → " '  "; " dropped; . , ( ) ! ? split off; <br /> ; : → space
    assert.deepEqual(T.splitWords('Don\'t stop (now), OK?<br />Yes; no: "maybe".'),
      ['don', "'", 't', 'stop', '(', 'now', ')', ',', 'ok', '?', 'yes', 'no', 'maybe', '.']);
    // keras: !"#$%&()*+,-./:;<=>?@[\]^_`{|}~\t\n become spaces; the apostrophe stays in the word
    assert.deepEqual(T.splitWords("Hello, World! It's a-b\ttest.", 'keras'), ['hello', 'world', "it's", 'a', 'b', 'test']);
    const verse = "And the LORD's sons' wives (Beer-sheba), went.";
    const words = T.splitWords(verse, 'punct', false);
    assert.deepEqual(words, ['And', 'the', "LORD's", "sons'", 'wives', '(', 'Beer-sheba', ')', ',', 'went', '.']);
    assert.equal(T.detokenize(words), verse);
    assert.deepEqual(T.splitWords('A, b', 'punct'), ['a', ',', 'b']);
    throwsWith(() => T.splitWords('a', 'nope' as never), 'unknown split "nope"');
  });

  it('orders the vocabulary by frequency, ties in code-unit order, whatever the corpus order', () => {
    const texts = ['the cat sat on the mat', 'the dog sat'];
    const tok = T.WordTokenizer.fromTexts(texts, { maxSize: 3 });
    // counts: the 3, sat 2, then cat, dog, mat, on once each → cat
    assert.deepEqual(tok.words, ['the', 'sat', 'cat']);
    assert.deepEqual(tok.encode('The dog sat.'), [4, 1, 5, 1]);
    assert.equal(tok.decode([4, 6, 5]), 'the cat sat');
    assert.deepEqual(T.WordTokenizer.fromTexts([...texts].reverse(), { maxSize: 3 }).words, tok.words);
    assert.deepEqual(T.WordTokenizer.fromTexts(texts, { minFreq: 2 }).words, ['the', 'sat']);
    const cased = T.WordTokenizer.fromTexts(['In the beginning God created.'], { split: 'punct', lower: false });
    const ids = cased.encode('In the beginning God created.', { addEos: true });
    assert.equal(ids.length, 7);
    assert.equal(ids[6], T.EOS_ID);
    assert.equal(cased.decode(ids), 'In the beginning God created.');
  });
});

describe('ByteBPETokenizer', () => {
  // ids: specials 0..3, byte b → 4 + b: a=101 b=102 c=103 d=104 space=36; merge k → 260 + k
  it('learns the merges of "aaabdaaabac" as worked by hand', () => {
    // pairs aa:4 ab:2 … → Z=aa (260): Z a b d Z a b a c; pairs Za:2 ab:2 → tie, smaller left id: Y=ab (261);
    // Z Y d Z Y a c → X=ZY (262): X d X a c; all pairs once → smallest left id first: ac (101,103),
    // then dX (104,262), X·dX (262,264), then the last pair (265,263).
    const bpe = T.ByteBPETokenizer.train('aaabdaaabac', { vocabSize: 300, minFrequency: 1 });
    assert.deepEqual(bpe.merges, [[101, 101], [101, 102], [260, 261], [101, 103], [104, 262], [262, 264], [265, 263]]);
    assert.equal(bpe.vocabSize, 267);
    assert.deepEqual(bpe.encode('aaabdaaabac'), [266]);
    const three = T.ByteBPETokenizer.train('aaabdaaabac', { vocabSize: 300 }); // minFrequency 2 stops after X
    assert.deepEqual(three.merges, [[101, 101], [101, 102], [260, 261]]);
    assert.deepEqual(three.encode('aaabdaaabac'), [262, 104, 262, 101, 103]);
    // encoding applies the lowest-ranked pair first: "aaab" → Z a b → Z Y → X; "baa" → b Z
    assert.deepEqual(three.encode('aaab'), [262]);
    assert.deepEqual(three.encode('baa'), [102, 260]);
    assert.equal(three.idToToken(262), 'aaab');
    assert.deepEqual(Array.from(three.tokenBytes(261)), [97, 98]);
    assert.equal(T.ByteBPETokenizer.train('aaabdaaabac', { vocabSize: 261, minFrequency: 1 }).merges.length, 1);
  });

  it('pre-tokenises like GPT-2 and never merges across pre-tokens', () => {
    const bpe = T.ByteBPETokenizer.train('ab ab', { vocabSize: 300, minFrequency: 1 });
    // words "ab" and " ab": ab occurs twice → 260; then (space, ab) → 261; no pair "b " exists
    assert.deepEqual(bpe.merges, [[101, 102], [36, 260]]);
    assert.deepEqual(bpe.encode('ab ab'), [260, 261]);
    assert.equal(bpe.idToToken(261), 'Ġab');
    assert.deepEqual(bpe.preTokenize("Hello world's 123  x"), ['Hello', ' world', "'s", ' 123', ' ', ' x']);
  });

  it('round-trips any string through bytes, including invalid UTF-8 pieces and specials', () => {
    const bpe = T.ByteBPETokenizer.train(['naïve café', 'naïve naïve café'], { vocabSize: 280 });
    for (const s of ['naïve café 😀 日本語\n\ttabs  and  spaces', '', 'zzz']) assert.equal(bpe.decode(bpe.encode(s)), s);
    assert.equal(bpe.decode([4 + 0xc3]), '\uFFFD'); // a lone UTF-8 lead byte
    assert.equal(bpe.decode([4 + 104, 4 + 105]), 'hi');
    assert.deepEqual(bpe.encode('hi', { addBos: true, addEos: true }), [2, 108, 109, 3]);
    assert.equal(bpe.decode([2, 108, 1, 109, 3]), 'h<unk>i');
    assert.equal(bpe.decode([2, 108, 3], { skipSpecial: false }), '<bos>h<eos>');
    throwsWith(() => bpe.decode([bpe.vocabSize]), `out of range for a vocabulary of ${bpe.vocabSize}`);
    throwsWith(() => T.ByteBPETokenizer.train('x', { vocabSize: 259 }), 'vocabSize must be an integer in [260');
    throwsWith(() => new T.ByteBPETokenizer([[101, 260]]), 'merge 0 ([101, 260]) refers to id 260');
    throwsWith(() => new T.ByteBPETokenizer([[101, 102], [101, 102]]), 'repeats merge 0');
  });

  it('learns the same merges as a naive full recount on real text', { skip: NO_KJV }, () => {
    // the reference recounts every pair of every word before each merge (slow but obviously right)
    const text = T.kjvVerses('train').slice(0, 150).map((v) => v.text + '\n').join('');
    const vocabSize = 420;
    const freq = new Map<string, number>();
    for (const m of text.matchAll(new RegExp(T.GPT2_PATTERN, 'gu'))) freq.set(m[0], (freq.get(m[0]) ?? 0) + 1);
    const words = [...freq].map(([w, f]) => ({ s: Array.from(new TextEncoder().encode(w), (b) => b + 4), f }));
    const naive: [number, number][] = [];
    while (260 + naive.length < vocabSize) {
      const counts = new Map<string, number>();
      for (const w of words) for (let i = 0; i + 1 < w.s.length; i++) counts.set(`${w.s[i]},${w.s[i + 1]}`, (counts.get(`${w.s[i]},${w.s[i + 1]}`) ?? 0) + w.f);
      let best: [number, number] | null = null, bestC = 0;
      for (const [k, c] of counts) {
        const [a, b] = k.split(',').map(Number);
        if (c > bestC || (c === bestC && best && (a < best[0] || (a === best[0] && b < best[1])))) { best = [a, b]; bestC = c; }
      }
      if (!best || bestC < 2) break;
      const id = 260 + naive.length;
      naive.push(best);
      for (const w of words) {
        const out: number[] = [];
        for (let i = 0; i < w.s.length; i++) {
          if (i + 1 < w.s.length && w.s[i] === best[0] && w.s[i + 1] === best[1]) { out.push(id); i++; } else out.push(w.s[i]);
        }
        w.s = out;
      }
    }
    const bpe = T.ByteBPETokenizer.train(text, { vocabSize });
    assert.equal(naive.length, vocabSize - 260);
    assert.deepEqual(bpe.merges, naive);
    assert.equal(bpe.decode(bpe.encode(text)), text);
    assert.ok(bpe.encode(text).length < new TextEncoder().encode(text).length / 2, 'merges should at least halve the byte count');
  });

  it('every tokenizer survives toJSON → JSON text → tokenizerFromJSON', () => {
    const corpus = ['The LORD is my shepherd; I shall not want.', 'He maketh me to lie down in green pastures.'];
    const toks: st.data.text.Tokenizer[] = [
      T.CharTokenizer.fromText(corpus), T.WordTokenizer.fromTexts(corpus, { split: 'punct', lower: false }), T.ByteBPETokenizer.train(corpus, { vocabSize: 300 }),
    ];
    const probe = 'The LORD maketh me lie down; I shall not want!';
    for (const tok of toks) {
      const back = T.tokenizerFromJSON(JSON.stringify(tok.toJSON()));
      assert.equal(back.type, tok.type);
      assert.equal(back.vocabSize, tok.vocabSize);
      assert.deepEqual(back.encode(probe), tok.encode(probe));
      assert.equal(back.decode(tok.encode(probe)), tok.decode(tok.encode(probe)));
    }
    throwsWith(() => T.tokenizerFromJSON({ type: 'nope' } as never), "unknown tokenizer type \"nope\"");
    throwsWith(() => T.WordTokenizer.fromJSON({ type: 'char', version: 1, chars: [] }), 'expected the JSON of a word tokenizer');
  });
});

describe('padding and collation', () => {
  it('pads and truncates on either side, with masks and lengths', () => {
    const p = T.padSequences([[5, 6, 7], [8]]);
    assert.deepEqual(p.ids.shape, [2, 3]);
    assert.deepEqual(Array.from(p.ids.data), [5, 6, 7, 8, 0, 0]);
    assert.deepEqual(Array.from(p.mask.data), [1, 1, 1, 1, 0, 0]);
    assert.deepEqual(Array.from(p.lengths), [3, 1]);
    const left = T.padSequences([[5, 6, 7], Int32Array.of(8)], { padding: 'left' });
    assert.deepEqual(Array.from(left.ids.data), [5, 6, 7, 0, 0, 8]);
    assert.deepEqual(Array.from(left.mask.data), [1, 1, 1, 0, 0, 1]);
    assert.deepEqual(Array.from(T.padSequences([[5, 6, 7], [8]], { maxLength: 2 }).ids.data), [5, 6, 8, 0]);
    assert.deepEqual(Array.from(T.padSequences([[5, 6, 7], [8]], { maxLength: 2, truncation: 'left' }).ids.data), [6, 7, 8, 0]);
    const fixed = T.padSequences([{ data: Int32Array.of(5), shape: [1] }], { maxLength: 4, padTo: 'maxLength', padValue: -100 });
    assert.deepEqual(fixed.ids.shape, [1, 4]);
    assert.deepEqual(Array.from(fixed.ids.data), [5, -100, -100, -100]);
    assert.deepEqual(T.padSequences([[1, 2, 3, 4, 5], [1]], { padToMultipleOf: 4 }).ids.shape, [2, 8]);
    assert.deepEqual(T.truncateIds([1, 2, 3], 2, 'left'), [2, 3]);
    throwsWith(() => T.padSequences([[1]], { padTo: 'maxLength' }), "padTo 'maxLength' needs maxLength");
    throwsWith(() => T.padSequences([[1]], { padding: 'middle' as never }), "padding must be 'left' or 'right'");
    throwsWith(() => T.padSequences([[1, 2.5]]), 'sequence 0 holds 2.5 at position 1');
    throwsWith(() => T.padSequences([{ data: Int32Array.of(1, 2), shape: [1, 2] }]), 'expected a 1-d sequence');
  });

  it('textCollate makes int64 x/y, bool masks and lengths, through a DataLoader', () => {
    const ds = new T.TextClassificationDataset(['a b c', 'b', 'c c'], [1, 0, 1], ['neg', 'pos']);
    const tok = T.WordTokenizer.fromTexts(ds.texts); // c (3 times) = 4, b (2) = 5, a (1) = 6
    const enc = ds.encode(tok, { addBos: true });
    assert.deepEqual(Array.from(enc.get(0).x.data), [2, 6, 5, 4]);
    const loader = new st.data.DataLoader(enc, { batchSize: 2, collate: T.textCollate() });
    const [b0, b1] = [...loader];
    assert.equal(b0.x.dtype, 'int64');
    assert.deepEqual(b0.x.shape, [2, 4]);
    assert.deepEqual(flat(b0.x), [2, 6, 5, 4, 2, 5, 0, 0]);
    assert.equal(b0.mask.dtype, 'bool');
    assert.deepEqual(flat(b0.mask), [1, 1, 1, 1, 1, 1, 0, 0]);
    assert.deepEqual(flat(b0.lengths), [4, 2]);
    assert.equal(b0.y.dtype, 'int64');
    assert.deepEqual(flat(b0.y), [1, 0]);
    assert.deepEqual(flat(b1.x), [2, 4, 4]);
    // sequence targets: padded with -100 for crossEntropy's ignoreIndex, with their own mask and lengths
    const seq = T.textCollate({ padding: 'left', target: { padValue: -100 } });
    const b = seq([{ x: [7], y: [2, 9, 3] }, { x: [7, 8], y: [2, 3] }]);
    assert.deepEqual(flat(b.x), [0, 7, 7, 8]);
    assert.deepEqual(flat(b.y), [2, 9, 3, -100, 2, 3]);
    assert.deepEqual(flat(b.yMask!), [1, 1, 1, 0, 1, 1]);
    assert.deepEqual(flat(b.yLengths!), [3, 2]);
    throwsWith(() => seq([{ x: [1], y: 1 }, { x: [1], y: [1] }]), 'sample 1 has y object, but sample 0 has an integer class');
    throwsWith(() => seq([]), 'cannot collate an empty batch');
    throwsWith(() => T.textCollate({ truncation: 'up' as never }), "truncation must be 'left' or 'right'");
  });
});

describe('King James Bible', () => {
  it('decodes compress(1) LZW streams, including the KwKwK case', () => {
    // "ABABABA" → codes 65 66 257 259 (259 is defined by its own use); 9-bit codes packed LSB first
    const pack = (codes: number[], bits: number) => {
      const out = new Uint8Array(Math.ceil((codes.length * bits) / 8));
      codes.forEach((c, k) => { for (let j = 0; j < bits; j++) if ((c >> j) & 1) out[(k * bits + j) >> 3] |= 1 << ((k * bits + j) & 7); });
      return out;
    };
    assert.equal(new TextDecoder().decode(T.decodeLzw(pack([65, 66, 257, 259], 9))), 'ABABABA');
    throwsWith(() => T.decodeLzw(pack([65, 300], 9)), 'code 300', 'refers past the table');
    throwsWith(() => T.decodeLzw(pack([300], 9)), 'first code after a reset is 300');
  });

  it('parses verse lines and rejects malformed ones', () => {
    const text = 'Title line\nGe1:1 In the beginning.\nGe1:2 And the earth.\nGe2:1 Thus.\nExo1:1 Now these.\n';
    const vs = T.parseKJV(text);
    assert.deepEqual(vs.map((v) => [v.book, v.chapter, v.verse, v.chapterIndex, v.index]), [['Genesis', 1, 1, 0, 0], ['Genesis', 1, 2, 0, 1], ['Genesis', 2, 1, 1, 2], ['Exodus', 1, 1, 2, 3]]);
    assert.equal(vs[3].text, 'Now these.');
    throwsWith(() => T.parseKJV('Ge1:1 a\nXyz1:1 b'), 'line 2', 'unknown book abbreviation "Xyz"');
    throwsWith(() => T.parseKJV('Ge1:1 a\nGe1:3 b'), 'Genesis 1:3 follows verse 1');
    throwsWith(() => T.parseKJV('Ge1:1 a\nGe3:1 b'), 'follows chapter 1');
    throwsWith(() => T.parseKJV('Exo1:1 a\nGe1:1 b'), 'Genesis after Exodus');
    throwsWith(() => T.parseKJV('x\ny'), 'line 2: not a verse line');
    const fixture = join(tmp, 'kjv.txt');
    writeFileSync(fixture, text);
    assert.equal(T.loadKJV({ path: fixture }).length, 4);
    throwsWith(() => T.loadKJV({ path: join(tmp, 'no-bible.data') }), 'does not exist', 'apt-get install bible-kjv');
    const bad = join(tmp, 'bad.data');
    writeFileSync(bad, Uint8Array.from([0x45, 0x43, 0x30, 0x32, ...new Uint8Array(100)]));
    throwsWith(() => T.loadKJV({ path: bad }), bad);
  });

  it('reads all 31102 verses of /usr/lib/bible.data with known counts and texts', { skip: NO_KJV }, () => {
    const vs = T.loadKJV();
    assert.equal(vs.length, 31102);
    const count = (book: string) => vs.filter((v) => v.book === book).length;
    // standard KJV verse counts
    assert.equal(count('Genesis'), 1533);
    assert.equal(count('Exodus'), 1213);
    assert.equal(count('Psalms'), 2461);
    assert.equal(count('Matthew'), 1071);
    assert.equal(count('Jude'), 25);
    assert.equal(count('Revelation'), 404);
    assert.equal(new Set(vs.map((v) => v.book)).size, 66);
    assert.equal(vs[vs.length - 1].chapterIndex, 1188); // 1189 chapters
    assert.equal(new Set(vs.filter((v) => v.book === 'Psalms').map((v) => v.chapter)).size, 150);
    assert.equal(vs[0].text, 'In the beginning God created the heaven and the earth.');
    assert.equal(T.kjvReference(vs[0]), 'Genesis 1:1');
    const last = vs[vs.length - 1];
    assert.deepEqual([last.book, last.chapter, last.verse, last.text], ['Revelation', 22, 21, 'The grace of our Lord Jesus Christ be with you all. Amen.']);
    assert.equal(vs.find((v) => v.book === 'John' && v.chapter === 11 && v.verse === 35)!.text, 'Jesus wept.');
    assert.equal(T.loadKJV(), vs, 'cached per path');
  });

  it('agrees verse by verse with the bible(1) program', { skip: NO_KJV || (existsSync('/usr/bin/bible') ? false : 'no /usr/bin/bible') }, () => {
    const r = spawnSync('/usr/bin/bible', ['-l100000', 'gen1:1-rev22:21'], { encoding: 'latin1', maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr);
    const got: string[] = [];
    let head = '';
    for (const line of r.stdout.split('\n')) {
      const v = /^\s+(\d+) (.*)$/.exec(line);
      if (v) got.push(`${head}:${v[1]} ${v[2]}`);
      else if (line.trim()) head = line.trim();
    }
    const ours = T.loadKJV().map((v) => `${v.book} ${v.chapter}:${v.verse} ${v.text}`);
    assert.equal(got.length, ours.length);
    for (let i = 0; i < ours.length; i++) if (got[i] !== ours[i]) assert.fail(`verse ${i}: bible(1) prints ${JSON.stringify(got[i])}, we read ${JSON.stringify(ours[i])}`);
  });

  it('splits by chapter: deterministic, disjoint, covering, with the documented sizes', { skip: NO_KJV }, () => {
    assert.deepEqual([0, 1, 5, 9, 10, 15, 1188].map(T.kjvSplitOf), ['test', 'train', 'validation', 'train', 'test', 'validation', 'train']);
    const parts = T.KJV_SPLITS.map((s) => T.kjvVerses(s));
    assert.deepEqual(parts.map((p) => p.length), [24888, 3186, 3028]);
    const seen = new Set<number>();
    for (const p of parts) for (const v of p) {
      assert.ok(!seen.has(v.index), `verse ${v.index} in two splits`);
      seen.add(v.index);
    }
    assert.equal(seen.size, 31102);
    // Genesis 1 (chapter 0) is test, Genesis 6 (chapter 5) validation, whole chapters together
    const test = T.kjvVerses('test');
    assert.equal(test.filter((v) => v.book === 'Genesis' && v.chapter === 1).length, 31);
    assert.ok(T.kjvVerses('validation').some((v) => v.book === 'Genesis' && v.chapter === 6));
    assert.deepEqual(T.kjvVerses('test').map((v) => v.index), test.map((v) => v.index));
    throwsWith(() => T.kjvVerses('dev' as never), 'split must be one of train, validation, test');
  });

  it('kjv-genre labels each verse by its book genre, with the documented balance', { skip: NO_KJV }, () => {
    assert.deepEqual(T.KJV_GENRES, ['law', 'history', 'wisdom', 'prophets', 'gospels', 'epistles']);
    const genreOf = (name: string) => T.KJV_GENRES[T.KJV_BOOKS.find((b) => b.name === name)!.genre];
    assert.deepEqual(['Deuteronomy', 'Joshua', 'Esther', 'Job', 'Song of Solomon', 'Isaiah', 'Lamentations', 'Daniel', 'Malachi', 'Matthew', 'Acts', 'Romans', 'Revelation'].map(genreOf),
      ['law', 'history', 'history', 'wisdom', 'wisdom', 'prophets', 'prophets', 'prophets', 'prophets', 'gospels', 'gospels', 'epistles', 'epistles']);
    const sets = T.KJV_SPLITS.map((split) => new T.KJVGenre({ split }));
    assert.deepEqual(sets.map((s) => s.classCounts()), [[4624, 5663, 3843, 4412, 3774, 2572], [587, 683, 558, 562, 483, 313], [641, 672, 384, 516, 529, 286]]);
    // per genre over all splits, from the book verse counts: law = 1533+1213+859+1288+959
    const totals = [0, 1, 2, 3, 4, 5].map((g) => sets.reduce((a, s) => a + s.classCounts()[g], 0));
    assert.equal(totals[0], 5852);
    assert.equal(totals[4] + totals[5], 7957); // the New Testament
    const test = sets[2];
    assert.deepEqual(test.get(0), { text: 'In the beginning God created the heaven and the earth.', y: 0 });
    assert.equal(test.verses[0].book, 'Genesis');
  });

  it('language-model windows: y is x shifted by one, over the split text', { skip: NO_KJV }, () => {
    const tok = T.kjvCharTokenizer();
    assert.ok(tok.chars.includes('\n') && tok.chars.includes('A') && !tok.chars.includes('X'), 'the KJV has no capital X');
    const val = new T.KJVLanguageModeling({ split: 'validation', contextLength: 32 });
    const text = T.kjvText('validation');
    assert.ok(text.startsWith('And it came to pass, when men began to multiply on the face of the earth'), 'validation starts at Genesis 6');
    assert.equal(val.ids.length, text.length);
    assert.equal(val.length, Math.floor((text.length - 33) / 32) + 1);
    const s0 = val.get(0), s1 = val.get(1);
    assert.equal(tok.decode(s0.x.data), text.slice(0, 32));
    assert.deepEqual(Array.from(s0.y.data.subarray(0, 31)), Array.from(s0.x.data.subarray(1)));
    assert.equal(tok.decode(s1.x.data), text.slice(32, 64));
    const strided = new T.KJVLanguageModeling({ split: 'validation', contextLength: 32, stride: 8 });
    assert.equal(tok.decode(strided.get(2).x.data), text.slice(16, 48));
    const [batch] = new st.data.DataLoader(val, { batchSize: 4 });
    assert.equal(batch.x.dtype, 'int64');
    assert.deepEqual(batch.x.shape, [4, 32]);
    assert.deepEqual(batch.y.shape, [4, 32]);
    throwsWith(() => new T.KJVLanguageModeling({ split: 'test', contextLength: 0 }), 'contextLength must be a positive integer');
    throwsWith(() => val.get(val.length), `index ${val.length} is out of range`);
  });

  it('kjv-restore pairs lower-cased unpunctuated verses with the printed text', { skip: NO_KJV }, () => {
    assert.equal(T.restoreSource("And the LORD's sons' wives (Beer-sheba), went."), "and the lord's sons' wives beer-sheba went");
    assert.equal(T.restoreBaseline('and i went to bethel'), 'And I went to bethel.');
    const test = new T.KJVRestoration({ split: 'test' });
    assert.deepEqual(test.get(0), { source: 'in the beginning god created the heaven and the earth', target: 'In the beginning God created the heaven and the earth.' });
    for (const s of test.sources) assert.ok(s.split(' ').length <= 16);
    const { source, target } = T.KJVRestoration.tokenizers(test);
    assert.ok(target.words.includes('LORD') && target.words.includes(';') && !source.words.includes('LORD'));
    const enc = test.encode(source, target);
    const y0 = Array.from(enc.get(0).y.data);
    assert.equal(y0[0], T.BOS_ID);
    assert.equal(y0[y0.length - 1], T.EOS_ID);
    assert.equal(target.decode(y0), test.targets[0]);
    assert.equal(source.decode(enc.get(0).x.data), test.sources[0]);
    assert.ok(new T.KJVRestoration({ split: 'test', maxWords: 8 }).length < test.length);
  });
});

describe('IMDB', () => {
  const write = (root: string, files: Record<string, string>) => {
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(join(root, p, '..'), { recursive: true });
      writeFileSync(join(root, p), text);
    }
  };

  it('reads the aclImdb layout: neg then pos, by id, with ratings', () => {
    const parent = join(tmp, 'imdb-ok');
    write(join(parent, 'aclImdb'), {
      'train/pos/3_10.txt': 'Great film.<br />Loved it.', 'train/pos/1_7.txt': 'Good.', 'train/neg/12_1.txt': 'Awful.', 'train/neg/2_4.txt': 'Meh.',
      'train/unsup/9_0.txt': 'Saw it.', 'test/pos/0_8.txt': 'Fine.', 'test/neg/5_3.txt': 'Bad.', 'train/neg/.DS_Store': '', 'README': 'x',
    });
    const train = new T.IMDB({ root: parent });
    assert.equal(train.root, join(parent, 'aclImdb'));
    assert.deepEqual(train.files, ['train/neg/2_4.txt', 'train/neg/12_1.txt', 'train/pos/1_7.txt', 'train/pos/3_10.txt']);
    assert.deepEqual(Array.from(train.labels), [0, 0, 1, 1]);
    assert.deepEqual(Array.from(train.ratings), [4, 1, 7, 10]);
    assert.deepEqual(Array.from(train.ids), [2, 12, 1, 3]);
    assert.deepEqual(train.get(3), { text: 'Great film.<br />Loved it.', y: 1 });
    assert.deepEqual(train.classCounts(), [2, 2]);
    assert.deepEqual(T.splitWords(train.texts[3]), ['great', 'film', '.', 'loved', 'it', '.']);
    const test = new T.IMDB({ root: join(parent, 'aclImdb'), split: 'test' });
    assert.deepEqual(test.texts, ['Bad.', 'Fine.']);
    const unsup = new T.IMDB({ root: parent, split: 'unsup' });
    assert.deepEqual(Array.from(unsup.labels), [-1]);
    assert.deepEqual(unsup.classCounts(), [0, 0]);
  });

  it('names what is wrong: missing folders, bad file names, ratings, duplicates', () => {
    throwsWith(() => new T.IMDB({ root: join(tmp, 'imdb-none') }), 'does not exist', 'aclImdb_v1.tar.gz');
    const a = join(tmp, 'imdb-a');
    write(a, { 'train/pos/1_7.txt': 'x' });
    throwsWith(() => new T.IMDB({ root: a }), 'missing the folder train/neg', 'train/{pos,neg,unsup}');
    throwsWith(() => new T.IMDB({ root: a, split: 'test' }), 'missing the folder test/neg');
    throwsWith(() => new T.IMDB({ root: a, split: 'valid' as never }), "split must be 'train', 'test' or 'unsup'");
    write(a, { 'train/neg/review.txt': 'x' });
    throwsWith(() => new T.IMDB({ root: a }), 'train/neg/review.txt', 'named <id>_<rating>.txt');
    rmSync(join(a, 'train/neg/review.txt'));
    write(a, { 'train/neg/4_8.txt': 'x' });
    throwsWith(() => new T.IMDB({ root: a }), 'train/neg/4_8.txt has rating 8', 'rated 1-4');
    rmSync(join(a, 'train/neg/4_8.txt'));
    write(a, { 'train/neg/4_2.txt': 'x', 'train/neg/4_3.txt': 'y' });
    throwsWith(() => new T.IMDB({ root: a }), 'the same review id 4');
  });
});

describe('BLEU and exact match', () => {
  it('matches hand-computed corpus BLEU-4', () => {
    const tok = (s: string) => s.split(' ');
    // unigrams 5/6 (the ×2 clipped to 1), bigrams 3/5, trigrams 2/4, 4-grams 1/3, c = r = 6 → BP 1
    const r = T.corpusBleu([tok('the cat sat on the mat')], [[tok('the cat sat on a mat')]]);
    assert.deepEqual(r.matches, [5, 3, 2, 1]);
    assert.deepEqual(r.totals, [6, 5, 4, 3]);
    assert.equal(r.brevityPenalty, 1);
    close(r.bleu, (1 / 12) ** 0.25, 1e-12); // (5/6 · 3/5 · 2/4 · 1/3)^(1/4) = 0.537285
    close(r.bleu, 0.537285, 1e-6);
    // Papineni et al.'s example: "the" ×7 against two references → modified unigram precision 2/7
    const p = T.corpusBleu([tok('the the the the the the the')], [[tok('the cat is on the mat'), tok('there is a cat on the mat')]]);
    close(p.precisions[0], 2 / 7, 1e-12);
    assert.equal(p.bleu, 0); // no bigram matches
  });

  it('applies the brevity penalty and pools counts over the corpus', () => {
    const tok = (s: string) => s.split(' ');
    const short = T.corpusBleu([tok('the cat')], [[tok('the cat sat on the mat')]], { maxOrder: 2 });
    close(short.brevityPenalty, Math.exp(1 - 6 / 2), 1e-12);
    close(short.bleu, 0.135335, 1e-6); // e^-2 · (1 · 1)^(1/2)
    assert.equal(T.corpusBleu([tok('the cat')], [[tok('the cat sat on the mat')]]).bleu, 0); // no trigrams
    // pooled: unigrams (6+1)/(6+2), bigrams (5+0)/(5+1), c = r = 8 → sqrt(7/8 · 5/6) = 0.853913
    const pooled = T.corpusBleu([tok('the cat sat on the mat'), tok('a b')], [[tok('the cat sat on the mat')], [tok('a c')]], { maxOrder: 2 });
    close(pooled.bleu, Math.sqrt(35 / 48), 1e-12);
    close(pooled.bleu, 0.853913, 1e-6);
    // closest reference length, ties to the shorter: candidate 3 vs references 2 and 4 → r = 2
    const multi = T.corpusBleu([tok('a b c')], [[tok('a b'), tok('a b c d')]]);
    assert.equal(multi.referenceLength, 2);
    assert.equal(multi.brevityPenalty, 1);
    // add-one smoothing for n ≥ 2: 'the cat' → p2 = (1+1)/(1+1), p3 = p4 = (0+1)/(0+1) → BLEU = BP = e^-2
    close(T.sentenceBleu('the cat', 'the cat sat on the mat'), Math.exp(-2), 1e-12);
    throwsWith(() => T.corpusBleu([tok('a')], []), '1 candidates but 0 reference sets');
  });

  it('scores texts with punctuation as tokens; exact match normalises whitespace', () => {
    const ref = 'In the beginning God created the heaven and the earth.';
    const same = T.bleu([ref], [ref]);
    assert.equal(same.bleu, 1);
    assert.equal(same.candidateLength, 11);
    // dropping the period: c = 10 < r = 11, all n-grams match → BLEU = exp(1 − 11/10)
    close(T.bleu([ref.slice(0, -1)], [[ref, 'unrelated']]).bleu, Math.exp(1 - 11 / 10), 1e-12);
    assert.equal(T.exactMatch(['a  b', 'c', ' d '], [' a b', 'x', 'd']), 2 / 3);
    throwsWith(() => T.exactMatch(['a'], ['a', 'b']), '1 candidates but 2 references');
  });
});

describe('bag-of-words logistic regression', () => {
  it('vectorizes with counts, smoothed idf and L2 rows', () => {
    const tf = T.BowVectorizer.fit(['a b b', 'a c'], { minFreq: 1, weighting: 'tf', normalize: false });
    // counts a 2, b 2, c 1 → features a=0, b=1, c=2
    assert.deepEqual(tf.tokenizer.words, ['a', 'b', 'c']);
    const x = tf.transform(['b a b d', '']);
    assert.deepEqual(Array.from(x.indptr), [0, 2, 2]);
    assert.deepEqual(Array.from(x.indices), [0, 1]);
    assert.deepEqual(Array.from(x.values), [1, 2]);
    // idf = ln((1+n)/(1+df)) + 1 with n = 2: a (df 2) → 1, b (df 1) → ln(1.5)+1 = 1.405465
    const idf = T.BowVectorizer.fit(['a b b', 'a c'], { minFreq: 1 });
    close(idf.idf[1], Math.log(1.5) + 1, 1e-6);
    const row = idf.transform(['a b']).values;
    const n = Math.hypot(1, Math.log(1.5) + 1);
    close(row[0], 1 / n, 1e-6);
    close(row[1], (Math.log(1.5) + 1) / n, 1e-6);
    close(row[0], 0.579739, 1e-5);
  });

  for (const backend of backends()) {
    it(`learns a separable toy problem (${backend})`, () => {
      const pos = ['good great film', 'great fun', 'happy good', 'fine good great', 'fun happy'];
      const neg = ['bad awful film', 'awful dull', 'sad bad', 'poor bad awful', 'dull sad'];
      const train = new T.TextClassificationDataset([...pos, ...neg], [1, 1, 1, 1, 1, 0, 0, 0, 0, 0], ['neg', 'pos']);
      const clf = T.BowLogisticRegression.fit(train, { minFreq: 1, epochs: 30, batchSize: 4, lr: 0.1, backend });
      assert.ok(clf.history[clf.history.length - 1] < clf.history[0] / 2, `loss ${clf.history[0]} → ${clf.history[clf.history.length - 1]}`);
      const test = new T.TextClassificationDataset(['good fun', 'awful sad film', 'happy great', 'dull poor'], [1, 0, 1, 0], ['neg', 'pos']);
      assert.deepEqual(Array.from(clf.predict(test.texts)), [1, 0, 1, 0]);
      const rep = clf.evaluate(test);
      assert.equal(rep.accuracy, 1);
      assert.deepEqual(rep.confusion, [[2, 0], [0, 2]]);
      assert.deepEqual(clf.weight.shape, [clf.vectorizer.numFeatures, 2]);
    });
  }

  it('classificationReport counts a confusion matrix', () => {
    const r = T.classificationReport([0, 1, 1, 2], [0, 1, 2, 2], 3);
    assert.equal(r.accuracy, 0.75);
    assert.deepEqual(r.confusion, [[1, 0, 0], [0, 1, 0], [0, 1, 1]]);
    assert.deepEqual(r.perClassRecall, [1, 1, 0.5]);
  });

  it('beats the majority class on kjv-genre from a fifth of the training verses', { skip: NO_KJV }, () => {
    const full = new T.KJVGenre({ split: 'train' });
    const pick = full.texts.map((_, i) => i).filter((i) => i % 5 === 0);
    const small = new T.TextClassificationDataset(pick.map((i) => full.texts[i]), pick.map((i) => full.labels[i]), full.classes);
    const clf = T.BowLogisticRegression.fit(small, { epochs: 4, backend: 'js' });
    const acc = clf.accuracy(new T.KJVGenre({ split: 'validation' }));
    assert.ok(acc > 0.5, `accuracy ${acc} (majority class: 683/3186 = 0.214)`);
  });
});
