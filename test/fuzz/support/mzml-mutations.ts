/**
 * mzML-aware mutations of a valid file, beyond bytes: broken XML, wrong
 * base64, compression and precision flags that lie, lying and huge array
 * lengths, bad numbers and units, entity expansion, deep nesting, and a
 * zlib bomb. Each takes the file as text and returns a mutant.
 */
import { deflateSync } from 'node:zlib';
import type { FuzzRandom } from './seed.js';

type Mutation = (xml: string, random: FuzzRandom) => string;

/** 64 MiB of zeros, deflated to 64 KiB: inflated without a bound, it takes 64 MiB per array. */
let bomb: string | undefined;
export function zlibBomb(): string {
  bomb ??= deflateSync(Buffer.alloc(64 * 2 ** 20), { level: 9 }).toString('base64');
  return bomb;
}

/** Replaces the n-th match (chosen at random) of `pattern` with `replace(match)`. */
function atRandomMatch(xml: string, pattern: RegExp, random: FuzzRandom, replace: (match: string) => string): string {
  const matches = [...xml.matchAll(new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`))];
  if (matches.length === 0) return xml;
  const match = random.pick(matches);
  return xml.slice(0, match.index) + replace(match[0]) + xml.slice(match.index + match[0].length);
}

const LENGTHS = ['0', '-1', '1', '99999999999', '1e12', '9007199254740993', 'NaN', 'abc', '', '4294967297', '2.5', '0x10', ' 12 '];
const NUMBERS = ['NaN', '1e999', '-1e999', '', 'abc', '-5', '1e-400', '0x20', 'Infinity'];

export const MZML_MUTATIONS: Record<string, Mutation> = {
  'drop a closing tag': (xml, r) => atRandomMatch(xml, /<\/[A-Za-z]+>/, r, () => ''),
  'stray <': (xml, r) => { const at = r.int(0, xml.length); return `${xml.slice(0, at)}<${xml.slice(at)}`; },
  'truncate in a tag': (xml, r) => xml.slice(0, atRandomMatch(xml, /<[A-Za-z]/, r, () => '\u0000').indexOf('\u0000') + 3),
  'swap tag names': (xml, r) => atRandomMatch(xml, /<\/binary>/, r, () => '</binaryDataArray>'),
  'bad base64 characters': (xml, r) => atRandomMatch(xml, /<binary>[^<]{8,}/, r, (m) => { const at = r.int(8, m.length - 1); return `${m.slice(0, at)}${r.pick(['!', '*', '-', '_', '%', '\u00e9', '@'])}${m.slice(at + 1)}`; }),
  'base64 padding in the middle': (xml, r) => atRandomMatch(xml, /<binary>[^<]{8,}/, r, (m) => `${m.slice(0, 12)}==${m.slice(12)}`),
  'base64 cut short': (xml, r) => atRandomMatch(xml, /<binary>[^<]{8,}/, r, (m) => m.slice(0, m.length - r.int(1, 7))),
  'empty binary': (xml, r) => atRandomMatch(xml, /<binary>[^<]*<\/binary>/, r, () => '<binary></binary>'),
  'claim zlib on plain data': (xml, r) => atRandomMatch(xml, /MS:1000576/, r, () => 'MS:1000574'),
  'claim no compression on zlib data': (xml, r) => atRandomMatch(xml, /MS:1000574/, r, () => 'MS:1000576'),
  'swap float precision': (xml, r) => atRandomMatch(xml, /MS:100052[13]/, r, (m) => (m === 'MS:1000521' ? 'MS:1000523' : 'MS:1000521')),
  'drop float precision': (xml, r) => atRandomMatch(xml, /MS:100052[13]/, r, () => 'MS:0000000'),
  'numpress': (xml, r) => atRandomMatch(xml, /MS:1000574/, r, () => 'MS:1002312'),
  'lying defaultArrayLength': (xml, r) => atRandomMatch(xml, /defaultArrayLength="[^"]*"/, r, () => `defaultArrayLength="${r.pick(LENGTHS)}"`),
  'lying arrayLength': (xml, r) => atRandomMatch(xml, /<binaryDataArray /, r, () => `<binaryDataArray arrayLength="${r.pick(LENGTHS)}" `),
  'bad scan start time': (xml, r) => atRandomMatch(xml, /accession="MS:1000016" name="scan start time" value="[^"]*"/, r, () => `accession="MS:1000016" name="scan start time" value="${r.pick(NUMBERS)}"`),
  'unknown time unit': (xml, r) => atRandomMatch(xml, /unitAccession="UO:0000031" unitName="minute"/, r, () => 'unitAccession="UO:9999999" unitName="fortnight"'),
  'bad ms level': (xml, r) => atRandomMatch(xml, /name="ms level" value="\d+"/, r, () => `name="ms level" value="${r.pick(NUMBERS)}"`),
  'bad index': (xml, r) => atRandomMatch(xml, /<spectrum index="\d+"/, r, () => `<spectrum index="${r.pick(NUMBERS)}"`),
  'bad scan window': (xml, r) => atRandomMatch(xml, /name="scan window (lower|upper) limit" value="[^"]*"/, r, (m) => m.replace(/value="[^"]*"/, `value="${r.pick(NUMBERS)}"`)),
  'undefined param group': (xml, r) => atRandomMatch(xml, /ref="mz32zlib"/, r, () => 'ref="nowhere"'),
  'billion laughs': (xml) => xml.replace('<?xml version="1.0" encoding="utf-8"?>', `<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE mzML [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">]>`).replace('<run id="fixture">', '<run id="&h;">'),
  'external entity': (xml) => xml.replace('<?xml version="1.0" encoding="utf-8"?>', '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE mzML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>').replace('<binary>', '<binary>&xxe;'),
  'entity in binary': (xml, r) => atRandomMatch(xml, /<binary>/, r, () => '<binary>&lt;&#65;&#x42;'),
  'deep nesting': (xml) => xml.replace('<scanList', `${'<x>'.repeat(50_000)}${'</x>'.repeat(50_000)}<scanList`),
  'zlib bomb': (xml, r) => atRandomMatch(xml, /(MS:1000574[\s\S]*?|mz32zlib[\s\S]*?)<binary>[^<]*<\/binary>/, r, (m) => m.replace(/<binary>[^<]*<\/binary>/, `<binary>${zlibBomb()}</binary>`)),
  'huge attribute': (xml, r) => atRandomMatch(xml, /id="scan=\d+"/, r, () => `id="${'s'.repeat(200_000)}"`),
  'no mzML root': (xml) => xml.replace(/<mzML[^>]*>/, '<notMzML>').replace('</mzML>', '</notMzML>'),
};

export function mzmlMutant(xml: string, random: FuzzRandom): { text: string; how: string } {
  const names = Object.keys(MZML_MUTATIONS);
  const count = random.next() < 0.8 ? 1 : 2;
  const applied: string[] = [];
  let text = xml;
  for (let n = 0; n < count; n++) {
    const name = random.pick(names);
    text = MZML_MUTATIONS[name]!(text, random);
    applied.push(name);
  }
  return { text, how: applied.join(' + ') };
}
