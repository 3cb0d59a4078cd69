package io.loraflow.testkit;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.protocol.ApiKeys;

/**
 * A TCP relay in front of the test broker, through which chosen clients talk to it, so a test
 * can make the broker stop answering one client's requests of some kind — its offset commits,
 * say — while everything else goes on.
 *
 * <p>A client bootstraps at {@link #address()}; the broker's relayed listener is advertised at
 * the same address (see {@code EmbeddedKafka.startRelayed}), so every later connection of that
 * client comes here too. Requests are forwarded whole; {@link #hold} makes the first request of a
 * held kind on a connection, and everything after it on that connection, wait with the sockets
 * open until {@link #release()}. To the client the broker is silent, not gone: no disconnect, no
 * error, only no answer.
 *
 * <p>Concurrency: any thread; each connection is served by two threads of its own.
 */
public final class KafkaRelay implements AutoCloseable {
  private static final String HOST = "127.0.0.1";

  private final ServerSocket server;
  private final List<Socket> sockets = new ArrayList<>();
  private volatile int target;

  // Guarded by this.
  private Set<ApiKeys> holding = EnumSet.noneOf(ApiKeys.class);
  private int held;

  private KafkaRelay(ServerSocket server) {
    this.server = server;
  }

  /** Binds a free port on 127.0.0.1; accepts once {@link #forwardTo} names the broker's port. */
  public static KafkaRelay open() {
    try {
      return new KafkaRelay(new ServerSocket(0, 50, InetAddress.getByName(HOST)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return server.getLocalPort();
  }

  /** {@code host:port} for a client's {@code bootstrap.servers}. */
  public String address() {
    return HOST + ":" + port();
  }

  /** Starts relaying to the broker's listener at {@code port} on 127.0.0.1. */
  public void forwardTo(int port) {
    target = port;
    Thread t = new Thread(this::accept, "kafka-relay-accept");
    t.setDaemon(true);
    t.start();
  }

  /**
   * From now on, requests of {@code kinds} (and what follows them on their connection) wait;
   * {@link #held()} counts from zero again.
   */
  public synchronized void hold(ApiKeys... kinds) {
    holding = EnumSet.copyOf(List.of(kinds));
    held = 0;
  }

  /** Forwards everything held and stops holding. */
  public synchronized void release() {
    holding = EnumSet.noneOf(ApiKeys.class);
    notifyAll();
  }

  /** Requests caught since the last {@link #hold} (each held request counts once). */
  public synchronized int held() {
    return held;
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Socket broker = new Socket(HOST, target);
        client.setTcpNoDelay(true);
        broker.setTcpNoDelay(true);
        synchronized (sockets) {
          sockets.add(client);
          sockets.add(broker);
        }
        start("kafka-relay-requests", () -> requests(client, broker));
        start("kafka-relay-responses", () -> copy(broker, client));
      } catch (IOException e) {
        // closed, or the broker refused (stopped by a test): the client sees a disconnect
      }
    }
  }

  /** Client to broker, one request at a time: a 4-byte size, then the header's 2-byte API key. */
  private void requests(Socket client, Socket broker) {
    try (client; broker) {
      DataInputStream in = new DataInputStream(client.getInputStream());
      OutputStream out = broker.getOutputStream();
      while (true) {
        int size = in.readInt();
        byte[] frame = new byte[4 + size];
        frame[0] = (byte) (size >>> 24);
        frame[1] = (byte) (size >>> 16);
        frame[2] = (byte) (size >>> 8);
        frame[3] = (byte) size;
        in.readFully(frame, 4, size);
        awaitForwarding((short) (((frame[4] & 0xff) << 8) | (frame[5] & 0xff)));
        out.write(frame);
        out.flush();
      }
    } catch (IOException | InterruptedException e) {
      // a side closed: closing both ends tells the other side
    }
  }

  private synchronized void awaitForwarding(short apiKey) throws InterruptedException {
    if (!ApiKeys.hasId(apiKey) || !holding.contains(ApiKeys.forId(apiKey))) {
      return;
    }
    held++;
    while (holding.contains(ApiKeys.forId(apiKey))) {
      wait();
    }
  }

  private static void copy(Socket from, Socket to) {
    try (from; to) {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      byte[] buf = new byte[64 * 1024];
      for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
        out.write(buf, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // a side closed
    }
  }

  private static void start(String name, Runnable work) {
    Thread t = new Thread(work, name);
    t.setDaemon(true);
    t.start();
  }

  /** Stops accepting and drops every connection. */
  @Override
  public void close() throws IOException {
    release();
    server.close();
    synchronized (sockets) {
      for (Socket s : sockets) {
        s.close();
      }
      sockets.clear();
    }
  }
}
