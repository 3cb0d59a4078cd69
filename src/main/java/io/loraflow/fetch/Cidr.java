package io.loraflow.fetch;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** An IPv4 or IPv6 network ({@code 10.0.0.0/8}, {@code fc00::/7}, or one address); immutable. */
record Cidr(byte[] network, int prefixBits) {

  /** Parses {@code address[/prefix]}; the address must be a literal (no DNS lookup happens). */
  static Cidr parse(String text) {
    int slash = text.indexOf('/');
    String addr = slash < 0 ? text : text.substring(0, slash);
    if (!TargetGuard.isIpLiteral(addr)) {
      throw new IllegalArgumentException("not an IP literal: " + text);
    }
    byte[] bytes;
    try {
      bytes = InetAddress.getByName(addr).getAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("bad address: " + text, e);
    }
    int bits = slash < 0 ? bytes.length * 8 : Integer.parseInt(text.substring(slash + 1));
    if (bits < 0 || bits > bytes.length * 8) {
      throw new IllegalArgumentException("bad prefix length: " + text);
    }
    return new Cidr(bytes, bits);
  }

  boolean contains(InetAddress address) {
    byte[] a = address.getAddress();
    if (a.length != network.length) {
      return false;
    }
    int full = prefixBits / 8;
    for (int i = 0; i < full; i++) {
      if (a[i] != network[i]) {
        return false;
      }
    }
    int rest = prefixBits % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xff << (8 - rest)) & 0xff;
    return (a[full] & mask) == (network[full] & mask);
  }
}
