/**
 * The mzML reader on malformed files: each fails with DATASET_INVALID
 * naming the file, the spectrum and the problem, instead of decoding
 * damage into other numbers or allocating what a lying length asks for.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { MAX_ARRAY_VALUES, MzmlParser } from '../../../src/queries/mzml/mzml-parser.js';
import { makeMzmlFixture } from './mzml-fixture.js';

const fixture = makeMzmlFixture({ ms1: 2, seed: 4, indexed: false });

function parse(xml: string): unknown {
  const parser = new MzmlParser('bad.mzML');
  const spectra = parser.write(Buffer.from(xml));
  return [...spectra, ...parser.end()];
}

/** The fixture with the first match of `pattern` replaced. */
function damaged(pattern: RegExp, replacement: string): string {
  assert.match(fixture.xml, pattern);
  return fixture.xml.replace(pattern, replacement);
}

function refuses(xml: string, message: RegExp): void {
  assert.throws(() => parse(xml), (error: { code?: string; message?: string }) => {
    assert.equal(error.code, 'DATASET_INVALID');
    assert.match(String(error.message), /^bad\.mzML: /);
    assert.match(String(error.message), message);
    return true;
  });
}

describe('mzML reader: malformed input', () => {
  it('reads the undamaged fixture', () => {
    assert.equal((parse(fixture.xml) as unknown[]).length, fixture.spectra.length);
  });

  it('refuses base64 with characters outside its alphabet or cut short, instead of skipping them', () => {
    refuses(damaged(/<binary>(.{10})/, '<binary>$1!'), /spectrum scan=1: the (m\/z|intensity) array is not valid base64/);
    refuses(damaged(/<binary>([^<]*?)[A-Za-z0-9+/=]<\/binary>/, '<binary>$1</binary>'), /is not valid base64|not a whole number of/);
  });

  it('refuses a zlib bomb by the length the spectrum declares, without inflating it', () => {
    const bomb = deflateSync(Buffer.alloc(8 * 2 ** 20)).toString('base64');
    refuses(damaged(/(MS:1000574[\s\S]*?)<binary>[^<]*<\/binary>/, `$1<binary>${bomb}</binary>`), /array inflates to more than the \d+ values the spectrum says/);
  });

  it('refuses array lengths that are not whole numbers, or past the limit, naming the attribute', () => {
    refuses(damaged(/defaultArrayLength="\d+"/, 'defaultArrayLength="abc"'), /spectrum scan=1: defaultArrayLength "abc" is not a whole number/);
    refuses(damaged(/defaultArrayLength="\d+"/, 'defaultArrayLength="-1"'), /defaultArrayLength "-1"/);
    refuses(damaged(/defaultArrayLength="\d+"/, `defaultArrayLength="${MAX_ARRAY_VALUES + 1}"`), new RegExp(`from 0 to ${MAX_ARRAY_VALUES}`));
    refuses(damaged(/<binaryDataArray /, '<binaryDataArray arrayLength="1e12" '), /arrayLength "1e12" is not a whole number/);
  });

  it('refuses a binary longer than its declared length could need, before holding it all', () => {
    refuses(damaged(/defaultArrayLength="\d+"/, 'defaultArrayLength="1"'), /holds \d+ values, the spectrum says 1|inflates to more than/);
    const huge = `<binary>${'AAAA'.repeat(2 ** 20 + 1)}</binary>`;
    refuses(damaged(/<binary>[^<]*<\/binary>/, huge), /spectrum scan=1: the m\/z array holds more base64 than \d+ values could need/);
  });

  it('refuses MS levels, indexes, times and windows that are not numbers, instead of carrying NaN', () => {
    refuses(damaged(/name="ms level" value="\d+"/, 'name="ms level" value="abc"'), /MS level "abc" is not a whole number/);
    refuses(damaged(/name="ms level" value="\d+"/, 'name="ms level" value="0"'), /MS level "0"/);
    refuses(damaged(/<spectrum index="\d+"/, '<spectrum index="-5"'), /index "-5" is not a whole number/);
    refuses(damaged(/name="scan start time" value="[^"]*"/, 'name="scan start time" value=""'), /scan start time "" is not a number/);
    refuses(damaged(/name="scan window lower limit" value="[^"]*"/, 'name="scan window lower limit" value="0x10"'), /scan window \[0x10, \d+\] is not two numbers/);
  });

  it('refuses entity declarations and undefined entities (no expansion, no external files)', () => {
    const laughs = '<!DOCTYPE mzML [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>';
    refuses(fixture.xml.replace('<mzML ', `${laughs}<mzML `).replace('<run id="fixture">', '<run id="&b;">'), /not well-formed XML/);
    refuses(fixture.xml.replace('<mzML ', '<!DOCTYPE mzML [<!ENTITY x SYSTEM "file:///etc/passwd">]><mzML ').replace('<run id="fixture">', '<run id="&x;">'), /not well-formed XML/);
  });
});
