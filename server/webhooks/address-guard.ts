import dns from 'node:dns';
import net, { type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/** What people call the ranges ipaddr.js names; anything else is "special-purpose". */
const RANGE_NAMES: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private-network address',
  linkLocal: 'a link-local address (where cloud metadata services live)',
  uniqueLocal: 'a unique-local (private IPv6) address',
  carrierGradeNat: 'a carrier-grade NAT address',
  unspecified: 'the unspecified address',
};

/** IPv6 global unicast (RFC 4291 2.4): the only IPv6 block that may receive webhooks. */
const GLOBAL_UNICAST_V6: [ipaddr.IPv6, number] = [ipaddr.IPv6.parse('2000::'), 3];

/**
 * Why an address may not receive webhooks, or null when it may. Only global unicast addresses
 * pass: loopback, private, link-local (169.254.169.254, the cloud metadata service), unique-local,
 * carrier-grade NAT, multicast, reserved and the IPv6 ranges that embed an IPv4 address are all
 * refused. IPv4-mapped IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address it maps. An IPv6
 * address must also lie in 2000::/3: everything outside it is unassigned or special, and some of
 * it reaches IPv4 hosts (the deprecated IPv4-compatible form `::127.0.0.1` = `::7f00:1`, which
 * ipaddr.js calls plain "unicast"). Inside 2000::/3, ipaddr.js's special ranges (6to4, Teredo,
 * documentation, benchmarking, ORCHID, AMT, ...) are refused by their name.
 */
export function forbiddenAddressReason(address: string): string | null {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  // In the WHATWG URL's canonical form (as a webhook URL's host arrives): ipaddr.js reads the
  // dotted `::1.2.3.4` (IPv4-compatible) as if it were `::ffff:1.2.3.4` (IPv4-mapped).
  const raw = ipaddr.parse(net.isIPv6(address) ? new URL(`http://[${address}]/`).hostname.slice(1, -1) : address);
  if (raw.kind() === 'ipv6' && !(raw as ipaddr.IPv6).isIPv4MappedAddress() && !(raw as ipaddr.IPv6).match(GLOBAL_UNICAST_V6)) {
    const range = raw.range();
    return range === 'unicast'
      ? 'a special-purpose address (outside IPv6 global unicast 2000::/3)'
      : (RANGE_NAMES[range] ?? `a special-purpose address (${range})`);
  }
  const range = ipaddr.process(raw.toString()).range();
  return range === 'unicast' ? null : (RANGE_NAMES[range] ?? `a special-purpose address (${range})`);
}

/**
 * A connection refused by the address guard: never retried sooner than any other failure.
 * For a name, the message says neither what it resolved to nor which kind of address that was:
 * the delivery's error is shown to whoever manages webhooks (an API key with `webhooks:manage`),
 * who could otherwise map internal names. The detail stays on the error (`address`, `reason`)
 * for the server's own log.
 */
export class ForbiddenAddressError extends Error {
  readonly code = 'ERR_WEBHOOK_FORBIDDEN_ADDRESS';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly reason: string,
  ) {
    super(
      host === address
        ? `refused: ${address} is ${reason} (WEBHOOK_ALLOW_PRIVATE_NETWORKS is off)`
        : `refused: ${host} resolves to a private or special-purpose address (WEBHOOK_ALLOW_PRIVATE_NETWORKS is off)`,
    );
    this.name = 'ForbiddenAddressError';
  }
}

/** The host of a URL as the socket layer sees it (IPv6 literals without their brackets). */
export const socketHost = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

/** Refuses an IP-literal host at once (the socket layer never looks literals up); names pass. */
export function checkLiteralHost(host: string): ForbiddenAddressError | null {
  if (!net.isIP(host)) return null;
  const reason = forbiddenAddressReason(host);
  return reason ? new ForbiddenAddressError(host, host, reason) : null;
}

type LookupAll = (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void;

/**
 * A `lookup` for sockets that drops forbidden addresses from what DNS answered, so the check
 * applies to the address actually connected: a name resolving to 127.0.0.1 is refused, and DNS
 * rebinding (a name that resolved to a public address when the webhook was saved) gains nothing.
 * When every address is forbidden the connection fails with ForbiddenAddressError.
 */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, ((err, addresses) => {
    if (err) return (callback as LookupAll)(err, []);
    const allowed = addresses.filter((a) => forbiddenAddressReason(a.address) === null);
    if (!allowed.length) {
      const first = addresses[0];
      const error = Object.assign(new ForbiddenAddressError(hostname, first?.address ?? '?', first ? forbiddenAddressReason(first.address)! : 'unknown'), {
        errno: undefined,
      }) as unknown as NodeJS.ErrnoException;
      return (callback as LookupAll)(error, []);
    }
    if (options.all) return (callback as LookupAll)(null, allowed);
    const [chosen] = allowed;
    (callback as (err: null, address: string, family: number) => void)(null, chosen!.address, chosen!.family);
  }) as LookupAll);
};
