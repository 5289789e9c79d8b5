/**
 * @module queries/generate/synthetic-run
 * A synthetic LC-MS run: compounds elute as Gaussian peaks in retention
 * time, each with an isotope envelope in m/z (peaks 1.00336/z apart,
 * relative heights from a Poisson law on mass, as averagine models do),
 * over sparse exponential noise. Seeded and deterministic: scan s is the
 * same whenever and wherever it is generated, so tests regenerate raw
 * scans to compute answers by brute force.
 */
import type { ScanRow } from '../format/dataset-file-encoder.js';
import { mixSeed, Random } from './random.js';

/** Options of {@link SyntheticRun}. */
export interface SyntheticRunOptions {
  seed: number;
  scans: number;
  bins: number;
  /** @defaultValue 100 */
  mzLo?: number;
  /** @defaultValue 2000 */
  mzHi?: number;
  /** Length of the run in seconds. @defaultValue 3600 */
  rtSeconds?: number;
  /** Compounds in the run. @defaultValue one per 2,000 cells, 10–5,000 */
  compounds?: number;
  /** Fraction of cells with noise. @defaultValue 0.3 */
  noiseDensity?: number;
  /** Mean noise intensity. @defaultValue 50 */
  noiseLevel?: number;
}

interface Compound {
  apex: number;
  sigma: number;
  intensity: number;
  /** m/z and relative height of each isotope peak. */
  peaks: Array<{ mz: number; height: number }>;
}

const NEUTRON = 1.00336;
const PROTON = 1.00728;
/** Mass resolution: peak width in m/z is mz / RESOLUTION (FWHM). */
const RESOLUTION = 20_000;

export class SyntheticRun {
  readonly scans: number;
  readonly bins: number;
  readonly mzLo: number;
  readonly mzStep: number;
  private readonly rtStep: number;
  private readonly compounds: Compound[];
  private readonly options: Required<Pick<SyntheticRunOptions, 'noiseDensity' | 'noiseLevel' | 'seed'>>;

  constructor(options: SyntheticRunOptions) {
    this.scans = options.scans;
    this.bins = options.bins;
    this.mzLo = options.mzLo ?? 100;
    this.mzStep = ((options.mzHi ?? 2000) - this.mzLo) / this.bins;
    this.rtStep = (options.rtSeconds ?? 3600) / this.scans;
    this.options = { seed: options.seed, noiseDensity: options.noiseDensity ?? 0.3, noiseLevel: options.noiseLevel ?? 50 };
    const count = options.compounds ?? Math.min(5000, Math.max(10, Math.round((this.scans * this.bins) / 2000)));
    this.compounds = makeCompounds(new Random(mixSeed(options.seed, 0xc0ffee)), count, this.mzLo, this.mzLo + this.mzStep * this.bins, this.rtStep * this.scans);
  }

  /** Retention time of scan s: evenly spaced, jittered by up to ±20% of the step (never out of order). */
  rtOf(s: number): number {
    const jitter = new Random(mixSeed(this.options.seed, s, 0x5ca7)).between(-0.2, 0.2);
    return (s + 0.5 + jitter) * this.rtStep;
  }

  /** Scan s. */
  scan(s: number): ScanRow {
    const rt = this.rtOf(s);
    const cells = new Float32Array(this.bins);
    const noise = new Random(mixSeed(this.options.seed, s, 0x0153));
    const { noiseDensity, noiseLevel } = this.options;
    for (let b = 0; b < this.bins; b++) {
      if (noise.next() < noiseDensity) cells[b] = -Math.log(1 - noise.next()) * noiseLevel;
    }
    for (const compound of this.compounds) {
      const dt = rt - compound.apex;
      if (Math.abs(dt) > 4 * compound.sigma) continue;
      const elution = compound.intensity * Math.exp(-(dt * dt) / (2 * compound.sigma * compound.sigma));
      for (const peak of compound.peaks) this.addPeak(cells, peak.mz, elution * peak.height);
    }
    return { rt, cells };
  }

  /** Adds a Gaussian peak at `mz`, sampled at bin centres (at least ~one bin wide so coarse grids keep it). */
  private addPeak(cells: Float32Array, mz: number, height: number): void {
    const sigma = Math.max(mz / RESOLUTION / 2.355, this.mzStep * 0.5);
    const first = Math.max(0, Math.floor((mz - 4 * sigma - this.mzLo) / this.mzStep));
    const last = Math.min(this.bins - 1, Math.floor((mz + 4 * sigma - this.mzLo) / this.mzStep));
    for (let b = first; b <= last; b++) {
      const d = this.mzLo + (b + 0.5) * this.mzStep - mz;
      cells[b] = cells[b]! + height * Math.exp(-(d * d) / (2 * sigma * sigma));
    }
  }
}

function makeCompounds(random: Random, count: number, mzLo: number, mzHi: number, rtSeconds: number): Compound[] {
  const compounds: Compound[] = [];
  for (let k = 0; k < count; k++) {
    const charge = random.int(1, 3);
    const mz = random.between(mzLo, mzHi);
    const mass = (mz - PROTON) * charge;
    const lambda = Math.max(0.05, mass / 1800);
    const peaks: Compound['peaks'] = [];
    let p = Math.exp(-lambda);
    let top = 0;
    for (let n = 0; n < 6; n++) {
      if (n > 0) p *= lambda / n;
      top = Math.max(top, p);
      peaks.push({ mz: mz + (n * NEUTRON) / charge, height: p });
    }
    compounds.push({
      apex: random.between(0.03, 0.97) * rtSeconds,
      sigma: random.between(3, 12) * Math.max(1, rtSeconds / 3600),
      intensity: Math.exp(random.between(Math.log(1e3), Math.log(1e7))),
      peaks: peaks.filter((peak) => peak.height / top > 0.01 && peak.mz < mzHi).map((peak) => ({ mz: peak.mz, height: peak.height / top })),
    });
  }
  return compounds;
}
