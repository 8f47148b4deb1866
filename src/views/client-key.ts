/**
 * The key a client address is counted under (rate limits, one vote per visitor, unique views):
 * an IPv4 address as it is; an IPv6 address by its /64 prefix, since one subscriber usually holds a
 * whole /64 and rotates through it (privacy extensions), so the full address would let one visitor
 * count as many. IPv4-mapped IPv6 (`::ffff:192.0.2.1`) is the IPv4 address. Anything that does not
 * parse is used as given (trimmed, lowercased), so a malformed header still has a bucket of its own.
 */

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEXTET = /^[0-9a-f]{1,4}$/;

function ipv4(text: string): string | null {
  const m = IPV4.exec(text);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((n) => n <= 255) ? parts.join(".") : null;
}

/** An embedded IPv4 tail (`::ffff:1.2.3.4`) as its two hextets. */
function ipv4Hextets(text: string): number[] | null {
  const v4 = ipv4(text);
  if (!v4) return null;
  const [a = 0, b = 0, c = 0, d = 0] = v4.split(".").map(Number);
  return [(a << 8) | b, (c << 8) | d];
}

function hextets(part: string): number[] | null {
  if (part === "") return [];
  const groups = part.split(":");
  const out: number[] = [];
  for (const [i, g] of groups.entries()) {
    if (i === groups.length - 1 && g.includes(".")) {
      const tail = ipv4Hextets(g);
      if (!tail) return null;
      out.push(...tail);
    } else if (HEXTET.test(g)) out.push(Number.parseInt(g, 16));
    else return null;
  }
  return out;
}

/** The eight hextets of an IPv6 address (`::` expanded), or null when it is not one. */
export function expandIpv6(address: string): number[] | null {
  const text = address.toLowerCase().replace(/%.*$/, ""); // a zone id (fe80::1%eth0) is local only
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const head = hextets(halves[0] ?? "");
  const tail = halves.length === 2 ? hextets(halves[1] ?? "") : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  return [...head, ...Array<number>(Math.max(0, missing)).fill(0), ...tail];
}

/** `203.0.113.7` → `203.0.113.7`; `2001:db8:a:b:1:2:3:4` → `2001:db8:a:b::/64`. */
export function clientKey(ip: string): string {
  const text = ip.trim().toLowerCase();
  const v4 = ipv4(text);
  if (v4) return v4;
  if (!text.includes(":")) return text;
  const groups = expandIpv6(text);
  if (!groups) return text;
  // IPv4-mapped (::ffff:a.b.c.d): the IPv4 client itself.
  const [, , , , , f, g = 0, h = 0] = groups;
  if (f === 0xffff && groups.slice(0, 5).every((n) => n === 0)) {
    return `${g >> 8}.${g & 0xff}.${h >> 8}.${h & 0xff}`;
  }
  return `${groups
    .slice(0, 4)
    .map((n) => n.toString(16))
    .join(":")}::/64`;
}
