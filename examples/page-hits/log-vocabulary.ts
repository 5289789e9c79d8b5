/**
 * @module examples/page-hits/log-vocabulary
 * What the generated logs are made of: page paths, hosts' randomness, the
 * Zipf sampler, and the line pieces pre-encoded as UTF-8 so the generator
 * only copies bytes. Seeded: the same seed gives the same logs everywhere.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A piece of a line, encoded once. */
export function utf8(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/** A page's path: a mix of site sections, a few with characters CSV must quote. */
export function pagePath(rank: number, random: () => number): string {
  if (rank === 0) return '/';
  const id = rank.toString(36);
  switch (rank % 8) {
    case 0: return `/products/${id}`;
    case 1: return `/blog/${2015 + (rank % 10)}/${WORDS[rank % WORDS.length]!}-${id}.html`;
    case 2: return `/static/js/app.${(rank * 2654435761 >>> 0).toString(16)}.js`;
    case 3: return `/api/v1/items/${rank}`;
    case 4: return `/docs/${WORDS[(rank >> 3) % WORDS.length]!}/${WORDS[rank % WORDS.length]!}`;
    case 5: return `/search/${WORDS[rank % WORDS.length]!}%20${WORDS[(rank >> 2) % WORDS.length]!}`;
    case 6: return `/tags/${WORDS[rank % WORDS.length]!},${WORDS[(rank >> 1) % WORDS.length]!}`;
    default: return `/img/${id}-${int(random, 1000)}.png`;
  }
}

/** `01/Mar/2024:00:00:00 +0000`, the CLF timestamp, in UTC. */
export function formatStamp(ms: number): string {
  const d = new Date(ms);
  const two = (n: number): string => (n < 10 ? `0${n}` : String(n));
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]!}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** A whole number in [0, below). */
export function int(random: () => number, below: number): number {
  return Math.floor(random() * below);
}

/**
 * Samples ranks 0..n-1 with probability ∝ 1/(rank+1). A table of 4096
 * buckets narrows the binary search over the cumulative weights to the ranks
 * a bucket spans: none for the popular head, a few steps in the tail.
 */
export function zipf(n: number, random: () => number): () => number {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) cumulative[i] = total += 1 / (i + 1);
  const buckets = 4096;
  const first = new Uint32Array(buckets + 1);
  for (let b = 0, rank = 0; b <= buckets; b++) {
    const target = (b / buckets) * total;
    while (rank < n - 1 && cumulative[rank]! < target) rank++;
    first[b] = rank;
  }
  return () => {
    const u = random() * buckets;
    const bucket = Math.floor(u);
    const target = (u / buckets) * total;
    let lo = first[bucket]!;
    let hi = first[bucket + 1]!;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export const NEWLINE = 10;
export const QUOTE = 34;
const WORDS = ['alpha', 'river', 'stone', 'cedar', 'lumen', 'orbit', 'pixel', 'quartz', 'meadow', 'harbor', 'ember', 'falcon', 'glacier', 'nectar', 'summit', 'willow'];
export const DASH = utf8('-');
export const DASHES = utf8(' - -');
export const NO_USER = utf8(' - - [');
export const OPEN_STAMP = utf8(' [');
export const CLOSE_STAMP = utf8('] "');
export const OPEN_REFERER = utf8(' "');
export const BETWEEN_QUOTES = utf8('" "');
export const TIMED_OUT = utf8('] "-" 408 - "-" "-"');
export const NO_PROTOCOL = utf8('" 200 512 "-" "-"');
export const METHODS = [...Array<string>(17).fill('GET'), 'POST', 'HEAD', 'PUT'].map((m) => utf8(`${m} `));
export const PROTOCOLS = ['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/2.0', 'HTTP/1.0'].map((p) => utf8(` ${p}"`));
export const STATUSES = ['200', '304', '404', '301', '500', '403'].map((s) => utf8(` ${s} `));
export const QUERIES = ['?utm_source=news', '?page=2', '?q=river+stone&lang=en', '?ref=home', '?v=3', '?sort=price&order=asc'].map(utf8);
export const USERS = ['alice', 'bob', 'carol'].map((u) => utf8(` - ${u}`));
export const REFERERS = [
  'https://www.google.com/', 'https://duckduckgo.com/', 'https://news.ycombinator.com/', 'https://example.com/',
  'https://example.com/blog/', 'https://t.co/abc123', 'https://www.bing.com/search?q=millrace',
].map(utf8);
export const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'curl/8.5.0',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
].map(utf8);
/** Rare, as in real logs; enough that records are UTF-8 rather than ASCII. */
export const LATIN_AGENTS = [
  'Mozilla/5.0 (compatible; Søkeroboten/1.0; +https://example.no/søk)',
  'Mozilla/5.0 (compatible; Crawléo/2.3)',
].map(utf8);
export const JUNK = [
  '\\x16\\x03\\x01\\x00\\xa5\\x01\\x00\\x00\\xa1\\x03\\x03',
  'GET / HTTP/1.1',
  'Connection reset by peer',
  '',
].map(utf8);
