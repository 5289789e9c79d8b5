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
/**
 * Most values one array may hold (a real spectrum has up to a few
 * million): bounds what a lying length or a zlib bomb can make us allocate.
 */
export const MAX_ARRAY_VALUES = 16_000_000;
/** Base64 text (and inflated bytes) any array may hold whatever its declared length: beyond it, a binary must fit its declared length. */
const MIN_BINARY_CHARS = 4 * 2 ** 20;
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
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
  /** Characters of base64 in `text` so far. */
  chars: number;
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
      if (this.inBinary && this.array !== undefined && this.spectrum !== undefined) this.addBinaryText(this.array, this.spectrum, text);
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
      const id = attrs.id ?? `#${this.seen}`;
      const index = attrs.index === undefined ? this.seen : this.count(attrs.index, `spectrum ${id}: index`, Number.MAX_SAFE_INTEGER);
      this.spectrum = { index, id, defaultLength: this.count(attrs.defaultArrayLength ?? '0', `spectrum ${id}: defaultArrayLength`, MAX_ARRAY_VALUES), params: [], scanParams: [], windowParams: [], arrays: [] };
      this.seen++;
    } else if (name === 'binaryDataArray' && this.spectrum !== undefined) {
      const length = attrs.arrayLength === undefined ? undefined : this.count(attrs.arrayLength, `spectrum ${this.spectrum.id}: arrayLength`, MAX_ARRAY_VALUES);
      this.array = { params: [], length, text: [], chars: 0 };
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
    const level = find(s.params, CV.msLevel)?.value ?? '1';
    const msLevel = /^\d{1,3}$/.test(level) && Number(level) >= 1 ? Number(level) : this.fail(`spectrum ${s.id}: MS level ${JSON.stringify(level)} is not a whole number from 1 to 999`);
    const start = find(s.scanParams, CV.scanStartTime) ?? find(s.params, CV.scanStartTime);
    if (start === undefined) this.fail(`spectrum ${s.id} has no scan start time (${CV.scanStartTime})`);
    const unit = TIME_UNITS[start.unitAccession ?? start.unitName ?? 'second'];
    if (unit === undefined) this.fail(`spectrum ${s.id}: unknown time unit ${start.unitAccession ?? start.unitName}`);
    const rtSeconds = this.decimal(start.value) * unit;
    const mz = s.arrays.find((a) => a.decoded?.kind === 'mz')?.decoded?.values;
    const intensity = s.arrays.find((a) => a.decoded?.kind === 'intensity')?.decoded?.values;
    if (!Number.isFinite(rtSeconds)) this.fail(`spectrum ${s.id}: scan start time ${JSON.stringify(start.value)} is not a number`);
    if (mz === undefined || intensity === undefined) this.fail(`spectrum ${s.id} lacks an m/z or an intensity array`);
    if (mz.length !== intensity.length) this.fail(`spectrum ${s.id}: ${mz.length} m/z values but ${intensity.length} intensities`);
    const lower = find(s.windowParams, CV.windowLower);
    const upper = find(s.windowParams, CV.windowUpper);
    const window = lower !== undefined && upper !== undefined ? { lower: this.decimal(lower.value), upper: this.decimal(upper.value) } : undefined;
    if (window !== undefined && !(Number.isFinite(window.lower) && Number.isFinite(window.upper))) this.fail(`spectrum ${s.id}: scan window [${lower!.value}, ${upper!.value}] is not two numbers`);
    return { index: s.index, id: s.id, msLevel, rtSeconds, mz, intensity, window };
  }

  private decodeArray(a: ArrayState, s: SpectrumState): ArrayState['decoded'] {
    for (const p of a.params) if (UNSUPPORTED[p.accession] !== undefined) this.fail(`spectrum ${s.id}: ${UNSUPPORTED[p.accession]} is not supported`);
    const kind = find(a.params, CV.mzArray) !== undefined ? 'mz' : find(a.params, CV.intensityArray) !== undefined ? 'intensity' : 'other';
    if (kind === 'other') return { kind, values: new Float64Array(0) };
    const label = kind === 'mz' ? 'm/z' : 'intensity';
    const bits = find(a.params, CV.float64) !== undefined ? 64 : find(a.params, CV.float32) !== undefined ? 32 : this.fail(`spectrum ${s.id}: the ${label} array gives no float precision (${CV.float32} or ${CV.float64})`);
    const text = a.text.join('').replace(/\s+/g, '');
    // Buffer.from(…, 'base64') skips what is not base64: checked first, so damage is reported, not decoded into other numbers.
    if (text.length % 4 !== 0 || !BASE64.test(text)) this.fail(`spectrum ${s.id}: the ${label} array is not valid base64`);
    let bytes: Buffer = Buffer.from(text, 'base64');
    const width = bits / 8;
    const expected = a.length ?? s.defaultLength;
    if (find(a.params, CV.zlib) !== undefined) {
      // Inflating stops past what the spectrum declares (or 4 MiB, so a small mismatch is still counted and named):
      // a zlib bomb costs no more than an honest array.
      try {
        bytes = inflateSync(bytes, { maxOutputLength: Math.max(expected * width, MIN_BINARY_CHARS) + 1 });
      } catch (error) {
        const tooLarge = (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
        this.fail(`spectrum ${s.id}: the ${label} array ${tooLarge ? `inflates to more than the ${expected} values the spectrum says` : `does not inflate (${(error as Error).message})`}`);
      }
    }
    if (bytes.length % width !== 0) this.fail(`spectrum ${s.id}: the ${label} array has ${bytes.length} bytes, not a whole number of ${bits}-bit floats`);
    const count = bytes.length / width;
    if (count !== expected) this.fail(`spectrum ${s.id}: the ${label} array holds ${count} values, the spectrum says ${expected}`);
    const values = new Float64Array(count);
    for (let k = 0; k < count; k++) values[k] = bits === 64 ? bytes.readDoubleLE(k * 8) : bytes.readFloatLE(k * 4);
    return { kind, values };
  }

  /** Keeps a binary's base64 text, refusing more than its declared length could need (so a lying length cannot make us hold gigabytes). */
  private addBinaryText(a: ArrayState, s: SpectrumState, text: string): void {
    a.chars += text.length;
    const expected = a.length ?? s.defaultLength;
    // 8 bytes a value as base64, plus room for line breaks; small arrays may run over (a mismatch is named precisely once decoded).
    const most = Math.max(Math.ceil((expected * 8) / 3) * 4 * 1.1, MIN_BINARY_CHARS);
    if (a.chars > most) this.fail(`spectrum ${s.id}: the ${labelOf(a)} array holds more base64 than ${expected} values could need`);
    a.text.push(text);
  }

  /** A whole number from 0 to `max`, or an error naming `what`. */
  private count(value: string, what: string, max: number): number {
    if (!/^\d{1,16}$/.test(value) || Number(value) > max) this.fail(`${what} ${JSON.stringify(value.slice(0, 40))} is not a whole number from 0 to ${max}`);
    return Number(value);
  }

  /** A decimal number as XML Schema writes it (no hex, no empty string, no `Infinity`); NaN otherwise, for the caller to name. */
  private decimal(value: string): number {
    const trimmed = value.trim();
    return DECIMAL.test(trimmed) ? Number(trimmed) : NaN;
  }

  private parent(): string | undefined {
    return this.path[this.path.length - 2];
  }

  private fail(message: string): never {
    throw queryError('DATASET_INVALID', `${this.source}: ${message}`, { source: this.source });
  }
}

function labelOf(a: ArrayState): string {
  return find(a.params, CV.mzArray) !== undefined ? 'm/z' : find(a.params, CV.intensityArray) !== undefined ? 'intensity' : 'binary';
}

function find(params: readonly CvParam[], accession: string): CvParam | undefined {
  return params.find((p) => p.accession === accession);
}
