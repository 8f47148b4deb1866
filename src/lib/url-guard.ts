/** The SSRF guard for start-image ingest: which URLs the Worker may fetch (CONTRACT.md "Jobs", ingest). */

/** What a host is, for the purpose of deciding whether the Worker may fetch from it. */
export type HostCategory =
  | "public"
  | "loopback"
  | "private"
  | "link-local"
  | "metadata"
  | "unique-local"
  | "shared"
  | "multicast"
  | "unspecified"
  | "broadcast"
  | "documentation"
  | "reserved"
  | "internal"
  | "invalid";

/** A host's category; `via` names the IPv4 address an IPv6 form embeds (mapped, NAT64, 6to4, …). */
export interface HostClass {
  category: HostCategory;
  via?: string;
}

export type GuardResult = { ok: true; url: URL } | { ok: false; reason: string };

const DESCRIPTION: Record<Exclude<HostCategory, "public">, string> = {
  loopback: "a loopback address",
  private: "a private address",
  "link-local": "a link-local address",
  metadata: "a cloud metadata address",
  "unique-local": "a unique-local address",
  shared: "a shared (CGNAT) address",
  multicast: "a multicast address",
  unspecified: "an unspecified address",
  broadcast: "a broadcast address",
  documentation: "a documentation address",
  reserved: "a reserved address",
  internal: "an internal host name",
  invalid: "not a valid host",
};

/** Order matters: the first matching range wins, so the narrow ones come first. */
const V4_RANGES: [string, number, HostCategory][] = [
  ["169.254.169.254", 32, "metadata"], // AWS, GCP, Azure, OpenStack instance metadata
  ["168.63.129.16", 32, "metadata"], // Azure wire server
  ["255.255.255.255", 32, "broadcast"],
  ["0.0.0.0", 8, "unspecified"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "shared"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "reserved"],
  ["192.0.2.0", 24, "documentation"],
  ["192.88.99.0", 24, "reserved"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "reserved"],
  ["198.51.100.0", 24, "documentation"],
  ["203.0.113.0", 24, "documentation"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved"],
];

/** IPv6 ranges without an embedded IPv4 address; anything outside 2000::/3 is reserved as well. */
const V6_RANGES: [string, number, HostCategory][] = [
  ["::", 128, "unspecified"],
  ["::1", 128, "loopback"],
  ["fd00:ec2::254", 128, "metadata"], // AWS instance metadata over IPv6
  ["64:ff9b:1::", 48, "reserved"], // local-use NAT64
  ["100::", 64, "reserved"], // discard-only
  ["2001::", 23, "reserved"], // IETF protocol assignments, Teredo included
  ["2001:db8::", 32, "documentation"],
  ["3fff::", 20, "documentation"],
  ["fc00::", 7, "unique-local"],
  ["fe80::", 10, "link-local"],
  ["fec0::", 10, "private"], // deprecated site-local
  ["ff00::", 8, "multicast"],
];

/** IPv6 prefixes whose low bits carry an IPv4 address: [prefix, length, shift of the IPv4 bits]. */
const V6_EMBEDDING: [string, number, bigint][] = [
  ["::ffff:0:0", 96, 0n], // IPv4-mapped
  ["::ffff:0:0:0", 96, 0n], // IPv4-translated
  ["64:ff9b::", 96, 0n], // NAT64 well-known prefix
  ["::", 96, 0n], // IPv4-compatible (deprecated); :: and ::1 are matched before
  ["2002::", 16, 80n], // 6to4
];

/** Host names that never name a public host (RFC 6761, RFC 8375, cloud conventions). */
const LOCAL_SUFFIXES = ["local", "localdomain", "home.arpa", "internal"];

/** One WHATWG IPv4 number: decimal, octal (leading 0) or hex (0x); null when the part is not one. */
function parseV4Number(part: string): number | null {
  if (/^0x[0-9a-f]*$/i.test(part)) return part.length === 2 ? 0 : Number.parseInt(part.slice(2), 16);
  if (/^0[0-7]+$/.test(part)) return Number.parseInt(part.slice(1), 8);
  if (/^(0|[1-9][0-9]*)$/.test(part)) return Number(part);
  return null;
}

/**
 * A host as IPv4 in every literal form WHATWG accepts (`2130706433`, `0177.0.0.1`, `0x7f.1`,
 * `127.1`): the 32-bit value, `null` for a domain name, or "invalid" when it ends in a number but
 * is no address (a parser would refuse it; so do we, should one not).
 */
export function parseIPv4(host: string): number | null | "invalid" {
  const parts = host.split(".");
  if (parts.length > 1 && parts.at(-1) === "") parts.pop();
  const last = parts.at(-1) ?? "";
  if (!/^([0-9]+|0x[0-9a-f]*)$/i.test(last)) return null;
  if (parts.length > 4) return "invalid";
  const numbers = parts.map(parseV4Number);
  let value = 0;
  for (const [i, n] of numbers.entries()) {
    if (n === null) return "invalid";
    const isLast = i === numbers.length - 1;
    const limit = isLast ? 256 ** (5 - numbers.length) : 256;
    if (n >= limit) return "invalid";
    value = isLast ? value * limit + n : value * 256 + n;
  }
  return value;
}

/** A bracket-less IPv6 literal (optionally ending in dotted IPv4) as a 128-bit value, else null. */
export function parseIPv6(host: string): bigint | null {
  if (host.includes("%")) return null; // zone identifiers name an interface: never public
  const halves = host.split("::");
  if (halves.length > 2) return null;
  const groups: number[][] = [];
  for (const [h, half] of halves.entries()) {
    const parsed: number[] = [];
    const pieces = half === "" ? [] : half.split(":");
    for (const [i, piece] of pieces.entries()) {
      if (i === pieces.length - 1 && piece.includes(".") && h === halves.length - 1) {
        const dotted = piece.split(".");
        if (dotted.length !== 4 || !dotted.every((d) => /^(0|[1-9][0-9]{0,2})$/.test(d) && Number(d) < 256))
          return null;
        const [a = 0, b = 0, c = 0, d = 0] = dotted.map(Number);
        parsed.push(a * 256 + b, c * 256 + d);
      } else if (/^[0-9a-f]{1,4}$/i.test(piece)) {
        parsed.push(Number.parseInt(piece, 16));
      } else {
        return null;
      }
    }
    groups.push(parsed);
  }
  const [head = [], tail = []] = groups;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...Array<number>(halves.length === 1 ? 0 : missing).fill(0), ...tail];
  return all.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

const v4Ranges = V4_RANGES.map(([base, len, category]) => {
  const value = parseIPv4(base);
  if (typeof value !== "number") throw new Error(`bad IPv4 range ${base}`);
  return { value, len, category };
});
const v6Value = (text: string): bigint => {
  const value = parseIPv6(text);
  if (value === null) throw new Error(`bad IPv6 range ${text}`);
  return value;
};
const v6Ranges = V6_RANGES.map(([base, len, category]) => ({ value: v6Value(base), len, category }));
const v6Embedding = V6_EMBEDDING.map(([base, len, shift]) => ({ value: v6Value(base), len, shift }));

const inV4 = (addr: number, base: number, len: number): boolean =>
  len === 0 || addr >>> (32 - len) === base >>> (32 - len);
const inV6 = (addr: bigint, base: bigint, len: number): boolean =>
  addr >> BigInt(128 - len) === base >> BigInt(128 - len);

const dotted = (v: number): string => [24, 16, 8, 0].map((s) => (v >>> s) & 255).join(".");

function classifyV4(addr: number): HostCategory {
  return v4Ranges.find((r) => inV4(addr, r.value, r.len))?.category ?? "public";
}

function classifyV6(addr: bigint): HostClass {
  const range = v6Ranges.find((r) => inV6(addr, r.value, r.len));
  if (range) return { category: range.category };
  const embedding = v6Embedding.find((e) => inV6(addr, e.value, e.len));
  if (embedding) {
    const v4 = Number((addr >> embedding.shift) & 0xffffffffn);
    return { category: classifyV4(v4), via: dotted(v4) };
  }
  return { category: inV6(addr, 0x2n << 124n, 3) ? "public" : "reserved" };
}

/**
 * The category of a URL host as written or as a WHATWG parser normalised it: IPv4 in any literal
 * form, bracketed IPv6 (mapped, compatible, NAT64 and 6to4 forms judged by their IPv4 address),
 * or a host name (`localhost`, `*.localhost`, `*.internal`, `*.local`, single labels).
 */
export function classifyHost(rawHost: string): HostClass {
  const host = rawHost.toLowerCase();
  if (host.startsWith("[") || host.includes(":")) {
    const addr = parseIPv6(host.replace(/^\[(.*)\]$/, "$1"));
    return addr === null ? { category: "invalid" } : classifyV6(addr);
  }
  const v4 = parseIPv4(host);
  if (v4 === "invalid") return { category: "invalid" };
  if (v4 !== null) return { category: classifyV4(v4) };
  const name = host.replace(/\.+$/, "");
  if (name === "" || name.includes("%")) return { category: "invalid" };
  if (name === "localhost" || name.endsWith(".localhost")) return { category: "loopback" };
  if (name === "metadata.google.internal") return { category: "metadata" };
  if (LOCAL_SUFFIXES.some((s) => name === s || name.endsWith(`.${s}`))) return { category: "internal" };
  // A single label resolves through an internal search domain, never to a public site.
  if (!name.includes(".")) return { category: "internal" };
  return { category: "public" };
}

const DEFAULT_PORTS = new Set(["", "80", "443"]);

/**
 * Whether the Worker may fetch `raw` to ingest a start image. Production: https only, no
 * credentials, default ports, public hosts. `development` also allows http: and loopback hosts
 * (127.0.0.0/8, ::1, localhost) on any port; every other private range stays refused.
 */
export function checkIngestUrl(raw: string, opts: { development: boolean }): GuardResult {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // The parser's message adds nothing a caller could act on; the reason says what is wrong.
    return { ok: false, reason: "not a valid URL" };
  }
  const schemes = opts.development ? ["https:", "http:"] : ["https:"];
  if (!schemes.includes(url.protocol)) {
    return { ok: false, reason: `only ${schemes.join(" and ")} URLs are allowed, not ${url.protocol}` };
  }
  if (url.username !== "" || url.password !== "") {
    return { ok: false, reason: "credentials in the URL are not allowed" };
  }
  const host = classifyHost(url.hostname);
  const devLoopback = opts.development && host.category === "loopback";
  if (host.category !== "public" && !devLoopback) {
    const embedded = host.via ? ` (it embeds ${host.via})` : "";
    return { ok: false, reason: `${url.hostname} is ${DESCRIPTION[host.category]}${embedded}` };
  }
  if (!devLoopback && !DEFAULT_PORTS.has(url.port)) {
    return { ok: false, reason: `port ${url.port} is not allowed (only 80 and 443)` };
  }
  return { ok: true, url };
}
