/** eachLine: the fast Latin-1 path must give exactly what UTF-8 decoding gives. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { countLines, eachLine } from '../../../src/mapreduce/line-decoder.js';

function lines(bytes: Buffer): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  eachLine(bytes, (line, at) => out.push([line, at]));
  return out;
}

describe('eachLine', () => {
  it('splits on \\n, drops a \\r before it, keeps a last line without newline, and gives byte offsets', () => {
    assert.deepEqual(lines(Buffer.from('a\r\nb\n\nc')), [['a', 0], ['b', 3], ['', 5], ['c', 6]]);
    assert.deepEqual(lines(Buffer.alloc(0)), []);
    assert.deepEqual(lines(Buffer.from('\n')), [['', 0]]);
  });

  it('decodes non-ASCII lines as UTF-8 and leaves ASCII neighbours alone', () => {
    const text = 'plain\ncafé ☕\nplain again\n日本\n';
    assert.deepEqual(lines(Buffer.from(text)).map(([line]) => line), ['plain', 'café ☕', 'plain again', '日本']);
    assert.deepEqual(lines(Buffer.from(text)).map(([, at]) => at), [0, 6, 16, 28]);
  });

  it('matches Buffer#toString("utf8") on invalid UTF-8 (replacement characters) line by line', () => {
    const bytes = Buffer.concat([Buffer.from('ok\n'), Buffer.from([0xff, 0x41, 0xc3, 0x0a]), Buffer.from('\xe2\x82 tail\n', 'latin1'), Buffer.from('end')]);
    const reference = bytes.toString('utf8').split('\n');
    assert.deepEqual(lines(bytes).map(([line]) => line), reference);
  });

  it('finds non-ASCII bytes in every 4 KiB window, including at window edges', () => {
    const ascii = 'x'.repeat(4095);
    const text = `${ascii}é\n${'y'.repeat(5000)}\n${'z'.repeat(3000)}ü${'z'.repeat(3000)}\n`;
    assert.deepEqual(lines(Buffer.from(text)).map(([line]) => line), text.split('\n').slice(0, -1));
  });

  it('counts lines the way it visits them', () => {
    for (const text of ['', 'a', 'a\n', 'a\nb', '\n\n', 'a\r\nb\r\n']) {
      assert.equal(countLines(Buffer.from(text)), lines(Buffer.from(text)).length, JSON.stringify(text));
    }
  });
});
