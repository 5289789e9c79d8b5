/**
 * @module queries/mzml/mzml-parser
 * A streaming mzML reader (saxes): bytes in, spectra out, one at a time,
 * whatever the file's size. Reads what a run's image needs: each
 * spectrum's MS level, scan start time, m/z and intensity arrays (base64;
 * zlib-compressed or not; 32- or 64-bit floats), and the scan window;
 * controlled-vocabulary parameters may come through
 * `referenceableParamGroupRef`. Anything it cannot decode (MS-Numpress,
 * integer arrays) is an error naming the spectrum, never a silent skip.
 *
 * Works on plain `<mzML>` and on `<indexedmzML>` (the index is ignored).
 */
import { inflateSync } from 'node:zlib';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { queryError } from '../query-errors.js';

/** One spectrum as read. */
export interface MzmlSpectrum {
  /** Position among all spectra of the file (`index` attribute, or the count so far). */
  index: number;
  id: string;
  msLevel: number;
  /** Scan start time in seconds. */
  rtSeconds: number;
  mz: Float64Array;
  intensity: Float64Array;
  /** The scan window of the first scan, if given (m/z). */
  window?: { lower: number; upper: number };
}

const CV = {
  msLevel: 'MS:1000511',
  scanStartTime: 'MS:1000016',
  mzArray: 'MS:1000514',
  intensityArray: 'MS:1000515',
  float32: 'MS:1000521',
  float64: 'MS:1000523',
  zlib: 'MS:1000574',
  noCompression: 'MS:1000576',
  windowLower: 'MS:1000501',
  windowUpper: 'MS:1000500',
} as const;
/** Compression and type terms we do not decode: refused by name. */
const UNSUPPORTED: Record<string, string> = {
  'MS:1002312': 'MS-Numpress linear compression', 'MS:1002313': 'MS-Numpress positive integer compression',
  'MS:1002314': 'MS-Numpress short logged float compression', 'MS:1000519': '32-bit integer arrays', 'MS:1000522': '64-bit integer arrays',
};
const TIME_UNITS: Record<string, number> = { 'UO:0000010': 1, second: 1, 'UO:0000031': 60, minute: 60, 'UO:0000028': 0.001, millisecond: 0.001 };

interface CvParam {
  accession: string;
  value: string;
  unitAccession?: string;
  unitName?: string;
}

interface ArrayState {
  params: CvParam[];
  length: number | undefined;
  text: string[];
  decoded?: { kind: 'mz' | 'intensity' | 'other'; values: Float64Array };
}

interface SpectrumState {
  index: number;
  id: string;
  defaultLength: number;
  params: CvParam[];
  scanParams: CvParam[];
  windowParams: CvParam[];
  arrays: ArrayState[];
}

/**
 * Push bytes with `write`, then `end`; completed spectra are returned by
 * each call (every MS level: the caller picks).
 */
export class MzmlParser {
  private readonly parser = new SaxesParser({ xmlns: false, position: true });
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private readonly groups = new Map<string, CvParam[]>();
  private readonly path: string[] = [];
  private group: { id: string; params: CvParam[] } | undefined;
  private spectrum: SpectrumState | undefined;
  private array: ArrayState | undefined;
  private inBinary = false;
  private done: MzmlSpectrum[] = [];
  private seen = 0;
  private sawRoot = false;

  constructor(private readonly source: string) {
    this.parser.on('opentag', (tag) => this.open(tag as SaxesTagPlain));
    this.parser.on('closetag', (tag) => this.close(tag as SaxesTagPlain));
    this.parser.on('text', (text) => {
      if (this.inBinary) this.array?.text.push(text);
    });
    this.parser.on('error', (error) => {
      throw queryError('DATASET_INVALID', `${this.source}: not well-formed XML: ${error.message}`, { source: this.source });
    });
  }

  write(bytes: Uint8Array): MzmlSpectrum[] {
    let text: string;
    try {
      text = this.decoder.decode(bytes, { stream: true });
    } catch (error) {
      throw queryError('DATASET_INVALID', `${this.source}: not UTF-8 text (is it compressed?)`, { source: this.source }, { cause: error });
    }
    this.parser.write(text);
    return this.take();
  }

  end(): MzmlSpectrum[] {
    this.parser.write(this.decoder.decode());
    this.parser.close();
    if (!this.sawRoot) throw queryError('DATASET_INVALID', `${this.source}: no <mzML> element: not an mzML file`, { source: this.source });
    return this.take();
  }

  private take(): MzmlSpectrum[] {
    const out = this.done;
    this.done = [];
    return out;
  }

  private open(tag: SaxesTagPlain): void {
    const name = tag.name;
    const attrs = tag.attributes;
    this.path.push(name);
    if (name === 'mzML') this.sawRoot = true;
    else if (name === 'referenceableParamGroup') this.group = { id: attrs.id ?? '', params: [] };
    else if (name === 'spectrum' && this.parent() === 'spectrumList') {
      this.spectrum = { index: attrs.index === undefined ? this.seen : Number(attrs.index), id: attrs.id ?? `#${this.seen}`, defaultLength: Number(attrs.defaultArrayLength ?? 0), params: [], scanParams: [], windowParams: [], arrays: [] };
      this.seen++;
    } else if (name === 'binaryDataArray' && this.spectrum !== undefined) {
      this.array = { params: [], length: attrs.arrayLength === undefined ? undefined : Number(attrs.arrayLength), text: [] };
    } else if (name === 'binary' && this.array !== undefined) this.inBinary = true;
    else if (name === 'cvParam' || name === 'referenceableParamGroupRef') {
      const params = name === 'cvParam'
        ? [{ accession: attrs.accession ?? '', value: attrs.value ?? '', unitAccession: attrs.unitAccession, unitName: attrs.unitName }]
        : this.groups.get(attrs.ref ?? '') ?? this.fail(`refers to an undefined param group ${JSON.stringify(attrs.ref)}`);
      this.addParams(params);
    }
  }

  private addParams(params: CvParam[]): void {
    if (this.group !== undefined && this.path.includes('referenceableParamGroup')) this.group.params.push(...params);
    else if (this.array !== undefined) this.array.params.push(...params);
    else if (this.spectrum !== undefined) {
      if (this.path.includes('scanWindow')) this.spectrum.windowParams.push(...params);
      else if (this.path.includes('scan')) this.spectrum.scanParams.push(...params);
      else this.spectrum.params.push(...params);
    }
  }

  private close(tag: SaxesTagPlain): void {
    this.path.pop();
    const name = tag.name;
    if (name === 'referenceableParamGroup' && this.group !== undefined) {
      this.groups.set(this.group.id, this.group.params);
      this.group = undefined;
    } else if (name === 'binary') this.inBinary = false;
    else if (name === 'binaryDataArray' && this.array !== undefined && this.spectrum !== undefined) {
      this.array.decoded = this.decodeArray(this.array, this.spectrum);
      this.spectrum.arrays.push(this.array);
      this.array = undefined;
    } else if (name === 'spectrum' && this.spectrum !== undefined) {
      this.done.push(this.finish(this.spectrum));
      this.spectrum = undefined;
    }
  }

  private finish(s: SpectrumState): MzmlSpectrum {
    const msLevel = Number(find(s.params, CV.msLevel)?.value ?? 1);
    const start = find(s.scanParams, CV.scanStartTime) ?? find(s.params, CV.scanStartTime);
    if (start === undefined) this.fail(`spectrum ${s.id} has no scan start time (${CV.scanStartTime})`);
    const unit = TIME_UNITS[start.unitAccession ?? start.unitName ?? 'second'];
    if (unit === undefined) this.fail(`spectrum ${s.id}: unknown time unit ${start.unitAccession ?? start.unitName}`);
    const rtSeconds = Number(start.value) * unit;
    const mz = s.arrays.find((a) => a.decoded?.kind === 'mz')?.decoded?.values;
    const intensity = s.arrays.find((a) => a.decoded?.kind === 'intensity')?.decoded?.values;
    if (!Number.isFinite(rtSeconds)) this.fail(`spectrum ${s.id}: scan start time ${JSON.stringify(start.value)} is not a number`);
    if (mz === undefined || intensity === undefined) this.fail(`spectrum ${s.id} lacks an m/z or an intensity array`);
    if (mz.length !== intensity.length) this.fail(`spectrum ${s.id}: ${mz.length} m/z values but ${intensity.length} intensities`);
    const lower = find(s.windowParams, CV.windowLower);
    const upper = find(s.windowParams, CV.windowUpper);
    const window = lower !== undefined && upper !== undefined ? { lower: Number(lower.value), upper: Number(upper.value) } : undefined;
    return { index: s.index, id: s.id, msLevel, rtSeconds, mz, intensity, window };
  }

  private decodeArray(a: ArrayState, s: SpectrumState): ArrayState['decoded'] {
    for (const p of a.params) if (UNSUPPORTED[p.accession] !== undefined) this.fail(`spectrum ${s.id}: ${UNSUPPORTED[p.accession]} is not supported`);
    const kind = find(a.params, CV.mzArray) !== undefined ? 'mz' : find(a.params, CV.intensityArray) !== undefined ? 'intensity' : 'other';
    if (kind === 'other') return { kind, values: new Float64Array(0) };
    const label = kind === 'mz' ? 'm/z' : 'intensity';
    const bits = find(a.params, CV.float64) !== undefined ? 64 : find(a.params, CV.float32) !== undefined ? 32 : this.fail(`spectrum ${s.id}: the ${label} array gives no float precision (${CV.float32} or ${CV.float64})`);
    let bytes: Buffer = Buffer.from(a.text.join('').replace(/\s+/g, ''), 'base64');
    if (find(a.params, CV.zlib) !== undefined) {
      try {
        bytes = inflateSync(bytes);
      } catch (error) {
        this.fail(`spectrum ${s.id}: the ${label} array does not inflate (${(error as Error).message})`);
      }
    }
    const width = bits / 8;
    if (bytes.length % width !== 0) this.fail(`spectrum ${s.id}: the ${label} array has ${bytes.length} bytes, not a whole number of ${bits}-bit floats`);
    const count = bytes.length / width;
    const expected = a.length ?? s.defaultLength;
    if (count !== expected) this.fail(`spectrum ${s.id}: the ${label} array holds ${count} values, the spectrum says ${expected}`);
    const values = new Float64Array(count);
    for (let k = 0; k < count; k++) values[k] = bits === 64 ? bytes.readDoubleLE(k * 8) : bytes.readFloatLE(k * 4);
    return { kind, values };
  }

  private parent(): string | undefined {
    return this.path[this.path.length - 2];
  }

  private fail(message: string): never {
    throw queryError('DATASET_INVALID', `${this.source}: ${message}`, { source: this.source });
  }
}

function find(params: readonly CvParam[], accession: string): CvParam | undefined {
  return params.find((p) => p.accession === accession);
}
