/**
 * A small mzML file written here (not downloaded): MS1 spectra with peaks
 * and noise, MS2 spectra between them, arrays in every encoding the
 * importer reads (32/64-bit, zlib or not, params inline or through a
 * referenceable group), times in minutes. Returns the arrays exactly as
 * encoded (32-bit values rounded), for brute-force checks.
 */
import { deflateSync, gzipSync } from 'node:zlib';
import { Random } from '../../../src/queries/generate/random.js';

export interface FixtureSpectrum {
  id: string;
  msLevel: number;
  rtSeconds: number;
  mz: Float64Array;
  intensity: Float64Array;
}

export interface MzmlFixture {
  xml: string;
  gzip: Buffer;
  spectra: FixtureSpectrum[];
  window: { lower: number; upper: number };
}

const WINDOW = { lower: 200, upper: 1200 };

export function makeMzmlFixture(options: { ms1: number; seed?: number; indexed?: boolean } = { ms1: 120 }): MzmlFixture {
  const random = new Random(options.seed ?? 3);
  const peaks = Array.from({ length: 25 }, () => ({ mz: random.between(210, 1190), apex: random.between(0, options.ms1 * 2), width: random.between(3, 10), height: random.between(1e4, 1e6) }));
  const spectra: FixtureSpectrum[] = [];
  const variants: number[] = [];
  for (let k = 0; k < options.ms1; k++) {
    const rtSeconds = 30 + k * 2 + random.between(0, 0.5);
    const points: Array<[number, number]> = [];
    for (let n = 0; n < 150; n++) points.push([random.between(WINDOW.lower - 5, WINDOW.upper + 5), random.between(0, 200)]); // a few fall outside the window
    for (const p of peaks) {
      const h = p.height * Math.exp(-((k * 2 - p.apex) ** 2) / (2 * p.width ** 2));
      if (h > 1) for (let d = -2; d <= 2; d++) points.push([p.mz + d * 0.01, h * Math.exp(-(d * d) / 2)]);
    }
    points.sort((a, b) => a[0] - b[0]);
    const variant = k % 4; // 0: 64-bit zlib, 1: 32-bit plain, 2: 64-bit plain, 3: 32-bit zlib through a param group
    const round = variant === 1 || variant === 3 ? Math.fround : (v: number) => v;
    spectra.push({ id: `scan=${spectra.length + 1}`, msLevel: 1, rtSeconds, mz: Float64Array.from(points, (p) => round(p[0])), intensity: Float64Array.from(points, (p) => round(p[1])) });
    variants.push(variant);
    if (k % 3 === 0) {
      variants.push(0);
      spectra.push({ id: `scan=${spectra.length + 1}`, msLevel: 2, rtSeconds: rtSeconds + 0.5, mz: Float64Array.of(150, 300.5), intensity: Float64Array.of(1e9, 1e9) });
    }
  }
  const body = spectra.map((s, index) => spectrumXml(s, index, variants[index]!)).join('\n');
  const xml = `<?xml version="1.0" encoding="utf-8"?>
${options.indexed === false ? '' : '<indexedmzML xmlns="http://psi.hupo.org/ms/mzml">'}
<mzML xmlns="http://psi.hupo.org/ms/mzml" version="1.1.0">
  <cvList count="2"><cv id="MS" fullName="PSI-MS"/><cv id="UO" fullName="Unit Ontology"/></cvList>
  <referenceableParamGroupList count="1">
    <referenceableParamGroup id="mz32zlib">
      <cvParam cvRef="MS" accession="MS:1000521" name="32-bit float"/>
      <cvParam cvRef="MS" accession="MS:1000574" name="zlib compression"/>
    </referenceableParamGroup>
  </referenceableParamGroupList>
  <run id="fixture">
    <spectrumList count="${spectra.length}" defaultDataProcessingRef="dp">
${body}
    </spectrumList>
    <chromatogramList count="1">
      <chromatogram index="0" id="TIC" defaultArrayLength="1">
        <binaryDataArrayList count="1"><binaryDataArray encodedLength="12"><cvParam cvRef="MS" accession="MS:1000523" name="64-bit float"/><cvParam cvRef="MS" accession="MS:1000595" name="time array"/><binary>AAAAAAAA8D8=</binary></binaryDataArray></binaryDataArrayList>
      </chromatogram>
    </chromatogramList>
  </run>
</mzML>
${options.indexed === false ? '' : '<indexList count="0"/></indexedmzML>'}
`;
  return { xml, gzip: gzipSync(Buffer.from(xml)), spectra, window: WINDOW };
}

function spectrumXml(s: FixtureSpectrum, index: number, variant: number): string {
  const arrays = [['MS:1000514', 'm/z array', s.mz], ['MS:1000515', 'intensity array', s.intensity]] as const;
  return `      <spectrum index="${index}" id="${s.id}" defaultArrayLength="${s.mz.length}">
        <cvParam cvRef="MS" accession="MS:1000511" name="ms level" value="${s.msLevel}"/>
        <scanList count="1"><scan>
          <cvParam cvRef="MS" accession="MS:1000016" name="scan start time" value="${s.rtSeconds / 60}" unitCvRef="UO" unitAccession="UO:0000031" unitName="minute"/>
          <scanWindowList count="1"><scanWindow>
            <cvParam cvRef="MS" accession="MS:1000501" name="scan window lower limit" value="${WINDOW.lower}"/>
            <cvParam cvRef="MS" accession="MS:1000500" name="scan window upper limit" value="${WINDOW.upper}"/>
          </scanWindow></scanWindowList>
        </scan></scanList>
        <binaryDataArrayList count="2">
${arrays.map(([accession, name, values]) => arrayXml(accession, name, values, variant)).join('\n')}
        </binaryDataArrayList>
      </spectrum>`;
}

function arrayXml(accession: string, name: string, values: Float64Array, variant: number): string {
  const bits = variant === 1 || variant === 3 ? 32 : 64;
  const raw = Buffer.alloc(values.length * (bits / 8));
  values.forEach((v, k) => (bits === 64 ? raw.writeDoubleLE(v, k * 8) : raw.writeFloatLE(v, k * 4)));
  const zlib = variant === 0 || variant === 3;
  const encoded = (zlib ? deflateSync(raw) : raw).toString('base64');
  const params = variant === 3
    ? '<referenceableParamGroupRef ref="mz32zlib"/>'
    : `<cvParam cvRef="MS" accession="${bits === 64 ? 'MS:1000523' : 'MS:1000521'}" name="${bits}-bit float"/><cvParam cvRef="MS" accession="${zlib ? 'MS:1000574' : 'MS:1000576'}" name="${zlib ? 'zlib compression' : 'no compression'}"/>`;
  // Long base64 is wrapped, as some writers do: the importer must ignore the white space.
  return `          <binaryDataArray encodedLength="${encoded.length}">${params}<cvParam cvRef="MS" accession="${accession}" name="${name}"/>
            <binary>${encoded.replace(/(.{76})/g, '$1\n')}</binary>
          </binaryDataArray>`;
}
