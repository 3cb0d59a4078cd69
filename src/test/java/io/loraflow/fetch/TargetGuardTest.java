package io.loraflow.fetch;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class TargetGuardTest {
  private static void refused(TargetGuard guard, String ip) throws Exception {
    InetAddress a = InetAddress.getByName(ip);
    StageException e = assertThrows(StageException.class, () -> guard.check("h", a), ip);
    assertEquals(Reason.FORBIDDEN_TARGET, e.reason());
  }

  private static void allowed(TargetGuard guard, String host, String ip) throws Exception {
    InetAddress a = InetAddress.getByName(ip);
    assertDoesNotThrow(() -> guard.check(host, a), ip);
  }

  @Test
  void testRefusesPrivateAndReservedAddresses() throws Exception {
    TargetGuard guard = new TargetGuard(List.of());
    for (String ip : List.of("127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255",
        "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "::1", "::",
        "fe80::1", "fc00::1", "fd12::1", "::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe",
        "2002:7f00:1::", "255.255.255.255")) {
      refused(guard, ip);
    }
    for (String ip : List.of("93.184.216.34", "172.32.0.1", "100.128.0.1", "2606:4700::1")) {
      allowed(guard, "h", ip);
    }
  }

  @Test
  void testAllowlistByCidrAndHostName() throws Exception {
    TargetGuard guard = new TargetGuard(List.of("127.0.0.1/32", "10.0.0.0/8", "Localhost"));
    allowed(guard, "h", "127.0.0.1");
    allowed(guard, "h", "10.200.0.1");
    allowed(guard, "localhost", "::1");
    refused(guard, "127.0.0.2");
    refused(guard, "192.168.0.1");
  }
}
