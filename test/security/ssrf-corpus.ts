/**
 * The SSRF corpus: start-image and webhook URLs that must never make the Worker reach a loopback,
 * private or metadata address. Host forms are crossed with URL shapes aimed at the canary's port.
 */

/** Where a URL must be stopped: by the guard before any fetch, or after a fetch to a public host. */
export type Stop = "guard" | "public-host";

export interface CorpusUrl {
  url: string;
  why: string;
  stop: Stop;
}

/** Every literal spelling of loopback and of "this host" that WHATWG parsers accept, and names for it. */
export const LOOPBACK_HOSTS = [
  "127.0.0.1",
  "127.0.0.2",
  "127.255.255.254",
  "2130706433",
  "0x7f000001",
  "0X7F000001",
  "0177.0.0.1",
  "00177.0.0.01",
  "0x7f.0.0.1",
  "0x7f.0x00.0x00.0x01",
  "0x7f.1",
  "127.1",
  "127.0.1",
  "017700000001",
  "0",
  "00",
  "0x0",
  "0.0.0.0",
  "[::]",
  "[::1]",
  "[0:0:0:0:0:0:0:1]",
  "[0000::0001]",
  "[::ffff:127.0.0.1]",
  "[::ffff:7f00:1]",
  "[0:0:0:0:0:ffff:127.0.0.1]",
  "[::127.0.0.1]",
  "[::ffff:0:127.0.0.1]",
  "[64:ff9b::127.0.0.1]",
  "[64:ff9b::7f00:1]",
  "[2002:7f00:1::]",
  "[::ffff:0.0.0.0]",
  "localhost",
  "LOCALHOST",
  "localhost.",
  "a.localhost",
  "127.0.0.1.",
  "\uff11\uff12\uff17.\uff10.\uff10.\uff11", // fullwidth digits: IDNA maps them to 127.0.0.1
  "127\u30020\u30020\u30021", // ideographic full stops: IDNA maps them to dots
];

/** Private, link-local, metadata and other non-public hosts, literal and named. */
export const INTERNAL_HOSTS = [
  "10.0.0.1",
  "10.255.255.255",
  "012.0.0.1",
  "167772161",
  "172.16.0.1",
  "172.31.255.255",
  "192.168.0.1",
  "192.168.1.254",
  "0xc0a80001",
  "100.64.0.1",
  "169.254.169.254",
  "2852039166",
  "0xa9fea9fe",
  "0251.0376.0251.0376",
  "169.254.43518",
  "[::ffff:169.254.169.254]",
  "[::ffff:a9fe:a9fe]",
  "[64:ff9b::169.254.169.254]",
  "[fd00:ec2::254]",
  "168.63.129.16",
  "metadata.google.internal",
  "metadata",
  "instance-data",
  "host.docker.internal",
  "kubernetes.default.svc.cluster.local",
  "router.home.arpa",
  "printer.local",
  "intranet",
  "[fe80::1]",
  "[fc00::1]",
  "[fd12:3456::1]",
  "[fec0::1]",
  "[ff02::1]",
  "[::ffff:10.0.0.1]",
  "[2002:a00:1::]",
  "224.0.0.1",
  "255.255.255.255",
  "192.0.2.1",
  "198.18.0.1",
  "240.0.0.1",
];

const SCHEMES = [
  "file:///etc/passwd",
  "file://localhost/etc/passwd",
  "ftp://127.0.0.1/image.png",
  "gopher://127.0.0.1:6379/_INFO",
  "dict://127.0.0.1:11211/stats",
  "ldap://127.0.0.1/",
  "sftp://127.0.0.1/",
  "tftp://127.0.0.1/x",
  "ws://127.0.0.1/",
  "wss://public.example/",
  "data:image/png;base64,iVBORw0KGgo=",
  "javascript:alert(1)",
  "blob:https://public.example/0f8c",
  "about:blank",
  "view-source:https://public.example/",
  "jar:https://public.example/a.jar!/x",
  "chrome://settings",
  "http://public.example/image.png",
  "HTTP://public.example/image.png",
  "//127.0.0.1/image.png",
  "/image.png",
  "",
  "not a url",
  "https://",
  "https://[::1/",
  "https://[fe80::1%25lo]/",
  "https://%31%32%37.0.0.1/",
];

/** Userinfo and parser-confusion tricks; some leave a public host (then the fake internet answers). */
const TRICKS: [string, Stop][] = [
  ["https://public.example@127.0.0.1/image.png", "guard"],
  ["https://public.example:443@127.0.0.1/image.png", "guard"],
  ["https://127.0.0.1@public.example/image.png", "guard"],
  ["https://user:pass@public.example/image.png", "guard"],
  ["https://user@public.example/image.png", "guard"],
  ["https://public.example%40127.0.0.1/image.png", "guard"],
  ["https://127.0.0.1#@public.example/image.png", "guard"],
  ["https://127.0.0.1\\@public.example/image.png", "guard"],
  ["https://public.example#@127.0.0.1/image.png", "public-host"],
  ["https://public.example?@127.0.0.1/image.png", "public-host"],
  ["https://public.example\\@127.0.0.1/image.png", "public-host"],
  ["https://public.example/@127.0.0.1/image.png", "public-host"],
  // WHATWG reads the first path segment as the host: https://image.png/, a public name.
  ["https:///image.png", "public-host"],
];

/** Public host, non-default ports. */
const PORTS = ["0", "22", "25", "3306", "6379", "8080", "8443", "11211", "65535"];

/**
 * The corpus. `canaryPort` is the loopback canary's port: every loopback and internal host form is
 * tried as https (the guard must name the host), as http on the canary's port, and as https there.
 */
export function ssrfCorpus(canaryPort: number): CorpusUrl[] {
  const hosts = [...LOOPBACK_HOSTS, ...INTERNAL_HOSTS];
  const byHost = hosts.flatMap((host): CorpusUrl[] => [
    { url: `https://${host}/image.png`, why: `host ${host}`, stop: "guard" },
    { url: `http://${host}:${canaryPort}/image.png`, why: `host ${host}, http, canary port`, stop: "guard" },
    { url: `https://${host}:${canaryPort}/image.png`, why: `host ${host}, canary port`, stop: "guard" },
  ]);
  return [
    ...byHost,
    ...SCHEMES.map((url): CorpusUrl => ({ url, why: "scheme or malformed", stop: "guard" })),
    ...TRICKS.map(([url, stop]): CorpusUrl => ({ url, why: "userinfo or parser trick", stop })),
    ...PORTS.map(
      (p): CorpusUrl => ({ url: `https://public.example:${p}/image.png`, why: `port ${p}`, stop: "guard" }),
    ),
  ];
}

/** Redirect targets a public host may answer with; each must be refused before it is fetched. */
export function redirectTargets(canaryPort: number): string[] {
  return [
    ...LOOPBACK_HOSTS.slice(0, 20).map((h) => `http://${h}:${canaryPort}/image.png`),
    `https://127.0.0.1:${canaryPort}/image.png`,
    `https://[::ffff:127.0.0.1]:${canaryPort}/`,
    "https://169.254.169.254/latest/meta-data/",
    "https://metadata.google.internal/computeMetadata/v1/",
    `//127.0.0.1:${canaryPort}/protocol-relative`,
    "file:///etc/passwd",
    `https://public.example@127.0.0.1:${canaryPort}/`,
  ];
}
