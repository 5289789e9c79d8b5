/**
 * @module queries/render/indexed-png
 * A PNG encoder for palette images (colour type 3, 8 bits a pixel), on
 * Node's zlib. A heatmap has at most 256 colours, so a palette image is a
 * third of the bytes of RGB to filter and deflate; pngjs (and the other
 * maintained pure-JS encoders we looked at: fast-png, UPNG) write only
 * grey or true colour, or deflate with pako in JavaScript. The format is
 * small enough to write by hand: signature, IHDR, PLTE, one IDAT, IEND,
 * each chunk with its CRC32 (https://www.w3.org/TR/png-3/).
 *
 * Each row is filtered with "up" when it repeats the row above (a slot
 * taller than a pixel: the row deflates to almost nothing) and "none"
 * otherwise: heatmaps of noisy data gain little from the predictive
 * filters, and choosing per row by trial costs more than it saves.
 */
import { constants, crc32, deflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const FILTER_NONE = 0;
const FILTER_UP = 2;

export interface IndexedImage {
  width: number;
  height: number;
  /** One palette index a pixel, row by row from the top. */
  pixels: Uint8Array;
  /** RGB triples, at most 256. */
  palette: Uint8Array;
}

export interface IndexedPngOptions {
  /** zlib level. @defaultValue 1 (the fastest that still compresses; higher levels cost more time than the bytes save on a LAN) */
  level?: number;
}

export function encodeIndexedPng(image: IndexedImage, options: IndexedPngOptions = {}): Buffer {
  const { width, height, pixels, palette } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || pixels.length !== width * height) {
    throw new RangeError(`indexed PNG: ${width} × ${height} does not match ${pixels.length} pixels`);
  }
  if (palette.length % 3 !== 0 || palette.length === 0 || palette.length > 256 * 3) throw new RangeError(`indexed PNG: a palette is 1–256 RGB triples, not ${palette.length} bytes`);
  const filtered = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = pixels.subarray(y * width, (y + 1) * width);
    const at = y * (width + 1);
    if (y > 0 && sameRow(pixels, y, width)) {
      filtered[at] = FILTER_UP; // every byte minus the one above: zeros
      continue;
    }
    filtered[at] = FILTER_NONE;
    filtered.set(row, at + 1);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits a pixel
  header[9] = 3; // colour type: palette
  const data = deflateSync(filtered, { level: options.level ?? 1, strategy: constants.Z_DEFAULT_STRATEGY });
  return Buffer.concat([SIGNATURE, chunk('IHDR', header), chunk('PLTE', palette), chunk('IDAT', data), chunk('IEND', Buffer.alloc(0))]);
}

function sameRow(pixels: Uint8Array, y: number, width: number): boolean {
  const row = y * width;
  const above = row - width;
  for (let x = 0; x < width; x++) if (pixels[row + x] !== pixels[above + x]) return false;
  return true;
}

function chunk(type: string, body: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, 'latin1');
  out.set(body, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
  return out;
}
