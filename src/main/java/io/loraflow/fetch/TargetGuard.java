package io.loraflow.fetch;

import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The SSRF guard: decides whether an HTTP hop may connect to a resolved address. Refused unless
 * allowlisted: loopback, link-local (incl. 169.254.169.254), site-local/private (10/8, 172.16/12,
 * 192.168/16, fc00::/7, fec0::/10), multicast, unspecified, CGNAT 100.64/10, 0/8, 192.0.0/24,
 * benchmark 198.18/15, reserved 240/4 and IPv6 forms that embed such an IPv4 address.
 * Immutable, any thread.
 */
final class TargetGuard {
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final List<Cidr> ALWAYS_FORBIDDEN = List.of(
      Cidr.parse("0.0.0.0/8"), Cidr.parse("100.64.0.0/10"), Cidr.parse("192.0.0.0/24"),
      Cidr.parse("198.18.0.0/15"), Cidr.parse("240.0.0.0/4"), Cidr.parse("fc00::/7"));

  private final Set<String> allowedHosts;
  private final List<Cidr> allowedNets;

  /** @param allowedTargets host names, IP literals or CIDRs; a bad entry is an argument error */
  TargetGuard(List<String> allowedTargets) {
    List<String> hosts = new ArrayList<>();
    List<Cidr> nets = new ArrayList<>();
    for (String entry : allowedTargets) {
      String e = entry.strip().toLowerCase(Locale.ROOT);
      if (e.contains("/") || isIpLiteral(e)) {
        nets.add(Cidr.parse(e));
      } else {
        hosts.add(e);
      }
    }
    this.allowedHosts = Set.copyOf(hosts);
    this.allowedNets = List.copyOf(nets);
  }

  /** Whether the URL's host name itself is allowlisted (then its addresses are not checked). */
  boolean hostAllowed(String host) {
    return allowedHosts.contains(host.toLowerCase(Locale.ROOT));
  }

  /** Throws {@code FORBIDDEN_TARGET} when {@code address} must not be contacted for host. */
  void check(String host, InetAddress address) {
    if (hostAllowed(host) || allowedNets.stream().anyMatch(n -> n.contains(address))) {
      return;
    }
    if (isForbidden(address)) {
      throw new StageException(Reason.FORBIDDEN_TARGET,
          "refusing " + host + " -> " + address.getHostAddress() + " (private or reserved)");
    }
  }

  static boolean isIpLiteral(String host) {
    return IPV4.matcher(host).matches() || host.indexOf(':') >= 0;
  }

  static boolean isForbidden(InetAddress a) {
    if (a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress()
        || a.isMulticastAddress() || a.isAnyLocalAddress()
        || ALWAYS_FORBIDDEN.stream().anyMatch(n -> n.contains(a))) {
      return true;
    }
    InetAddress embedded = embeddedIpv4(a);
    return embedded != null && isForbidden(embedded);
  }

  /** IPv4 inside IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) or 6to4 (2002::/16) forms. */
  private static InetAddress embeddedIpv4(InetAddress a) {
    if (!(a instanceof Inet6Address)) {
      return null;
    }
    byte[] b = a.getAddress();
    byte[] v4;
    if (b[0] == 0x20 && b[1] == 0x02) {
      v4 = new byte[] {b[2], b[3], b[4], b[5]};
    } else if (isZero(b, 0, 12) || (b[0] == 0 && b[1] == 0x64 && b[2] == (byte) 0xff
        && b[3] == (byte) 0x9b && isZero(b, 4, 12))) {
      v4 = new byte[] {b[12], b[13], b[14], b[15]};
    } else {
      return null;
    }
    try {
      return Inet4Address.getByAddress(v4);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  private static boolean isZero(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }
}
