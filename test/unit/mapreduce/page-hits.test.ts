/** The page-hits example: the CLF parser, the CSV, and the log generator. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { describeProblem, pageOf } from '../../../examples/page-hits/clf.js';
import { createLogGenerator, generateLogs } from '../../../examples/page-hits/generate-logs.js';
import { byHitsThenPage, csvChunks, type PageCount } from '../../../examples/page-hits/page-hits.js';
import { countLines, eachLine } from '../../../src/mapreduce/line-decoder.js';
import { createTempDir } from '../../helpers/temp-dir.js';

const LINE = '203.0.113.9 - alice [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif?x=1 HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"';

describe('pageOf (Combined Log Format)', () => {
  it('returns the request target without its query string, whatever the method and status', () => {
    assert.equal(pageOf(LINE), '/apache_pb.gif');
    assert.equal(pageOf(LINE.replace('GET', 'DELETE').replace(' 200 ', ' 404 ')), '/apache_pb.gif');
    assert.equal(pageOf(LINE.replace('/apache_pb.gif?x=1', '/caf%C3%A9,menu')), '/caf%C3%A9,menu', 'no percent-decoding');
    assert.equal(pageOf(LINE.replace(' 2326 ', ' - ')), '/apache_pb.gif', 'a size of "-"');
    assert.equal(pageOf(LINE.replace('/apache_pb.gif?x=1', '/say\\"hi\\"')), '/say\\"hi\\"', 'Apache escapes quotes in the request');
  });

  it('explains what is wrong with a malformed line', () => {
    const problems: Array<[string, string]> = [
      ['', 'empty line'],
      ['GET / HTTP/1.1', 'no [timestamp]'],
      [LINE.slice(0, 60), 'no quoted request after the timestamp'],
      ['1.2.3.4 - - [01/Mar/2024:00:00:00 +0000] "-" 408 - "-" "-"', 'request is not "METHOD target PROTOCOL"'],
      ['1.2.3.4 - - [01/Mar/2024:00:00:00 +0000] "GET /only-path" 200 1 "-" "-"', 'request is not "METHOD target PROTOCOL"'],
      [LINE.replace('/apache_pb.gif?x=1', '/two words'), 'request is not "METHOD target PROTOCOL"'],
      [LINE.replace('GET /apache_pb.gif?x=1', 'GET ?x=1'), 'request is not "METHOD target PROTOCOL"'],
      [LINE.replace(' 200 ', ' 2OO '), 'no status and size after the request'],
      [LINE.slice(0, LINE.indexOf('"Mozilla') - 1), 'no quoted referer and user agent'],
      [LINE.slice(0, -5), 'no quoted referer and user agent'],
    ];
    for (const [line, problem] of problems) {
      const result = pageOf(line);
      assert.equal(typeof result, 'number', line);
      assert.equal(describeProblem(result as number), problem, line);
    }
  });
});

describe('page-hits CSV', () => {
  it('sorts by count descending, then page ascending, and quotes what RFC 4180 requires', () => {
    const rows: PageCount[] = [['/b', 2], ['/a,b', 5], ['/a', 2], ['/"q"', 1]];
    rows.sort(byHitsThenPage);
    assert.equal(Buffer.concat([...csvChunks(rows)]).toString(), 'page,count\n"/a,b",5\n/a,2\n/b,2\n"/""q""",1\n');
  });
});

describe('generateLogs', () => {
  it('is deterministic, within one line of the size asked, and mostly well-formed', async () => {
    const dir = createTempDir();
    try {
      const first = await generateLogs(dir.file('a.log'), 2_000_000, 42);
      const second = await generateLogs(dir.file('b.log'), 2_000_000, 42);
      const other = await generateLogs(dir.file('c.log'), 2_000_000, 43);
      const hash = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
      assert.equal(hash(first.path), hash(second.path));
      assert.notEqual(hash(first.path), hash(other.path));
      assert.equal(statSync(first.path).size, first.bytes);
      assert.ok(first.bytes <= 2_000_000 && first.bytes > 2_000_000 - 1024, `${first.bytes} bytes`);
      const bytes = readFileSync(first.path);
      assert.equal(bytes[bytes.length - 1], 10, 'whole lines');
      assert.equal(countLines(bytes), first.lines);
      let malformed = 0;
      eachLine(bytes, (line) => {
        if (typeof pageOf(line) !== 'string') malformed++;
      });
      assert.equal(malformed, first.malformed, 'every line written malformed is malformed, and no other');
      assert.ok(first.malformed > 0 && first.malformed < first.lines / 100, `${first.malformed} of ${first.lines}`);
    } finally {
      dir.remove();
    }
  });

  it('cuts the same stream into chunks of any size', () => {
    const whole = createLogGenerator(5).chunk(200_000);
    const pieces = createLogGenerator(5);
    const parts: Buffer[] = [];
    for (let size = 0; size < whole.length;) {
      const part = pieces.chunk(Math.min(3000, whole.length - size));
      if (part.length === 0) break;
      parts.push(part);
      size += part.length;
    }
    assert.ok(Buffer.concat(parts).equals(whole.subarray(0, Buffer.concat(parts).length)));
  });
});
