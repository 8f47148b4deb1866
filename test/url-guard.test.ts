/** The ingest URL guard as a table: every literal address form, both modes, no fetching. */
import { describe, expect, it } from "vitest";
import { checkIngestUrl, classifyHost, parseIPv4, parseIPv6 } from "../src/lib/url-guard";

/** What a refusal's reason says, by category. */
const REASONS = {
  scheme: /^only https: (and http: )?URLs are allowed/,
  credentials: /^credentials in the URL are not allowed$/,
  port: /^port \d+ is not allowed/,
  invalid: /not a valid (URL|host)/,
  loopback: / is a loopback address/,
  private: / is a private address/,
  linkLocal: / is a link-local address/,
  metadata: / is a cloud metadata address/,
  uniqueLocal: / is a unique-local address/,
  shared: / is a shared \(CGNAT\) address/,
  multicast: / is a multicast address/,
  unspecified: / is an unspecified address/,
  broadcast: / is a broadcast address/,
  documentation: / is a documentation address/,
  reserved: / is a reserved address/,
  internal: / is an internal host name/,
} as const;

type Expectation = "ok" | keyof typeof REASONS;

const PRODUCTION: [string, Expectation][] = [
  // Allowed: public https hosts on default ports.
  ["https://example.com/a.png", "ok"],
  ["https://images.example.org:443/x.webp?w=1", "ok"],
  ["https://example.com:80/a.png", "ok"],
  ["https://8.8.8.8/a.png", "ok"],
  ["https://1.1.1.1/", "ok"],
  ["https://172.32.0.1/", "ok"],
  ["https://100.128.0.1/", "ok"],
  ["https://11.0.0.1/", "ok"],
  ["https://[2606:4700:4700::1111]/a.png", "ok"],
  ["https://[::ffff:8.8.8.8]/", "ok"],
  ["https://[64:ff9b::808:808]/", "ok"],
  ["https://xn--bcher-kva.example/", "ok"],
  ["https://localhost.example.com/", "ok"],
  // Schemes, credentials, ports.
  ["http://example.com/a.png", "scheme"],
  ["ftp://example.com/a.png", "scheme"],
  ["file:///etc/passwd", "scheme"],
  ["data:image/png;base64,AAAA", "scheme"],
  ["javascript:alert(1)", "scheme"],
  ["https://user:pass@example.com/a.png", "credentials"],
  ["https://user@example.com/a.png", "credentials"],
  ["https://example.com:8443/a.png", "port"],
  ["https://example.com:22/", "port"],
  // IPv4 loopback in every literal form.
  ["https://127.0.0.1/", "loopback"],
  ["https://127.8.9.10/", "loopback"],
  ["https://2130706433/", "loopback"],
  ["https://0177.0.0.1/", "loopback"],
  ["https://0x7f.0.0.1/", "loopback"],
  ["https://0x7f000001/", "loopback"],
  ["https://127.1/", "loopback"],
  ["https://127.0.0.1./", "loopback"],
  ["https://%31%32%37.0.0.1/", "loopback"],
  ["https://127\u30020\u30020\u30021/", "loopback"],
  // Other IPv4 ranges.
  ["https://10.1/", "private"],
  ["https://10.0.0.1/", "private"],
  ["https://012.0.0.1/", "private"],
  ["https://172.16.5.4/", "private"],
  ["https://172.31.255.255/", "private"],
  ["https://192.168.1.1/", "private"],
  ["https://0xc0a80101/", "private"],
  ["https://3232235777/", "private"],
  ["https://100.64.0.1/", "shared"],
  ["https://100.127.255.255/", "shared"],
  ["https://169.254.169.254/latest/meta-data/", "metadata"],
  ["https://0xa9fea9fe/", "metadata"],
  ["https://169.254.1.1/", "linkLocal"],
  ["https://0.0.0.0/", "unspecified"],
  ["https://0/", "unspecified"],
  ["https://255.255.255.255/", "broadcast"],
  ["https://224.0.0.1/", "multicast"],
  ["https://239.255.255.250/", "multicast"],
  ["https://192.0.2.1/", "documentation"],
  ["https://198.51.100.7/", "documentation"],
  ["https://203.0.113.9/", "documentation"],
  ["https://240.0.0.1/", "reserved"],
  ["https://198.18.0.1/", "reserved"],
  // IPv6, including every form that embeds an IPv4 address.
  ["https://[::1]/", "loopback"],
  ["https://[0:0:0:0:0:0:0:1]/", "loopback"],
  ["https://[::]/", "unspecified"],
  ["https://[fe80::1]/", "linkLocal"],
  ["https://[febf::1]/", "linkLocal"],
  ["https://[fc00::1]/", "uniqueLocal"],
  ["https://[fd12:3456::1]/", "uniqueLocal"],
  ["https://[fd00:ec2::254]/", "metadata"],
  ["https://[::ffff:127.0.0.1]/", "loopback"],
  ["https://[::ffff:7f00:1]/", "loopback"],
  ["https://[::ffff:10.0.0.1]/", "private"],
  ["https://[::ffff:169.254.169.254]/", "metadata"],
  ["https://[::127.0.0.1]/", "loopback"],
  ["https://[64:ff9b::10.0.0.1]/", "private"],
  ["https://[64:ff9b::a9fe:a9fe]/", "metadata"],
  ["https://[2002:7f00:1::]/", "loopback"],
  ["https://[ff02::1]/", "multicast"],
  ["https://[2001:db8::1]/", "documentation"],
  ["https://[2001::1]/", "reserved"],
  ["https://[4000::1]/", "reserved"],
  ["https://[fe80::1%25eth0]/", "invalid"],
  // Host names.
  ["https://localhost/", "loopback"],
  ["https://LOCALHOST./", "loopback"],
  ["https://api.localhost/", "loopback"],
  ["https://metadata.google.internal/computeMetadata/v1/", "metadata"],
  ["https://metadata.google.internal./", "metadata"],
  ["https://foo.internal/", "internal"],
  ["https://printer.local/", "internal"],
  ["https://intranet/", "internal"],
  // Not URLs or hosts at all.
  ["not a url", "invalid"],
  ["https://09.1.1.1/", "invalid"],
  ["https://1.2.3.4.5/", "invalid"],
  ["https://999999999999/", "invalid"],
];

const DEVELOPMENT: [string, Expectation][] = [
  ["http://127.0.0.1:8787/a.png", "ok"],
  ["http://127.0.0.2/", "ok"],
  ["http://localhost:5173/", "ok"],
  ["http://app.localhost:3000/", "ok"],
  ["http://[::1]:9000/", "ok"],
  ["http://2130706433:1234/", "ok"],
  ["http://example.com/a.png", "ok"],
  ["https://example.com/a.png", "ok"],
  ["http://example.com:8080/", "port"],
  ["http://10.0.0.1/", "private"],
  ["http://192.168.0.10:8080/", "private"],
  ["http://100.64.1.1/", "shared"],
  ["http://169.254.169.254/", "metadata"],
  ["http://metadata.google.internal/", "metadata"],
  ["http://[fe80::1]/", "linkLocal"],
  ["http://[fd00::1]:8080/", "uniqueLocal"],
  ["http://0.0.0.0:8787/", "unspecified"],
  ["ftp://127.0.0.1/", "scheme"],
  ["http://user:pw@127.0.0.1:8080/", "credentials"],
];

function expectVerdict(raw: string, development: boolean, expected: Expectation): void {
  const result = checkIngestUrl(raw, { development });
  if (expected === "ok") {
    expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
    if (result.ok) expect(result.url).toBeInstanceOf(URL);
    return;
  }
  expect(result.ok).toBe(false);
  if (!result.ok) {
    expect(result.reason).toMatch(REASONS[expected]);
    expect(result.reason.length).toBeLessThan(120);
  }
}

describe("checkIngestUrl in production", () => {
  it.each(PRODUCTION)("%s → %s", (raw, expected) => expectVerdict(raw, false, expected));
});

describe("checkIngestUrl in development", () => {
  it.each(DEVELOPMENT)("%s → %s", (raw, expected) => expectVerdict(raw, true, expected));

  it("still refuses in production what development allows", () => {
    for (const [raw, expected] of DEVELOPMENT) {
      if (expected === "ok" && !raw.startsWith("https:")) {
        expect(checkIngestUrl(raw, { development: false }).ok, raw).toBe(false);
      }
    }
  });
});

describe("refusal reasons", () => {
  it("name the embedded IPv4 address of an IPv6 form", () => {
    expect(checkIngestUrl("https://[::ffff:7f00:1]/", { development: false })).toEqual({
      ok: false,
      reason: "[::ffff:7f00:1] is a loopback address (it embeds 127.0.0.1)",
    });
  });
});

describe("raw literal forms (a parser that does not normalise them)", () => {
  it.each([
    ["2130706433", 0x7f000001],
    ["0177.0.0.1", 0x7f000001],
    ["0x7f.0.0.1", 0x7f000001],
    ["0x7f000001", 0x7f000001],
    ["0X7F.1", 0x7f000001],
    ["127.1", 0x7f000001],
    ["10.1", 0x0a000001],
    ["192.168.257", 0xc0a80101],
    ["0x", 0],
    ["127.0.0.1.", 0x7f000001],
  ])("parseIPv4(%s)", (host, value) => expect(parseIPv4(host)).toBe(value));

  it.each([["example.com"], ["1.2.3.example"]])("parseIPv4(%s) is a domain", (host) =>
    expect(parseIPv4(host)).toBeNull(),
  );

  it.each([["09.1.1.1"], ["1.2.3.4.5"], ["256.0.0.1"], ["1.2.65536"], ["4294967296"]])(
    "parseIPv4(%s) is invalid",
    (host) => expect(parseIPv4(host)).toBe("invalid"),
  );

  it.each([
    ["::1", 1n],
    ["::ffff:127.0.0.1", 0xffff7f000001n],
    ["::ffff:7f00:1", 0xffff7f000001n],
    ["1:2:3:4:5:6:7:8", 0x00010002000300040005000600070008n],
  ])("parseIPv6(%s)", (host, value) => expect(parseIPv6(host)).toBe(value));

  it.each([["1:2:3"], [":::1"], ["1::2::3"], ["fe80::1%eth0"], ["1:2:3:4:5:6:7:8:9"], ["::1.2.3"]])(
    "parseIPv6(%s) is not an address",
    (host) => expect(parseIPv6(host)).toBeNull(),
  );

  it.each([
    ["0177.0.0.1", "loopback"],
    ["0x7f.1", "loopback"],
    ["017700000001", "loopback"],
    ["[::ffff:127.0.0.1]", "loopback"],
    ["[0:0:0:0:0:ffff:a9fe:a9fe]", "metadata"],
    ["[64:ff9b::192.168.0.1]", "private"],
    ["Metadata.Google.Internal.", "metadata"],
    ["example.com", "public"],
  ])("classifyHost(%s) → %s", (host, category) => expect(classifyHost(host).category).toBe(category));
});
