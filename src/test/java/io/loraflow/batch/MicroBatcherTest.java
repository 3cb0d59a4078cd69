package io.loraflow.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Samples are 2 floats: {value, value}; the fake model returns each row's first float. */
class MicroBatcherTest {
  private static final int SAMPLE = 2;
  private Vertx vertx;
  private Context context;
  private WorkerExecutor workers;
  private final List<Integer> runSizes = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    workers = vertx.createSharedWorkerExecutor("test-decode", 2);
  }

  @AfterEach
  void tearDown() {
    vertx.close().await();
  }

  private MicroBatcher<String> batcher(int max, long delayMs, BatchRunner<String> runner) {
    return new MicroBatcher<>(context, max, delayMs, 2, SAMPLE,
        () -> ByteBuffer.allocateDirect(max * SAMPLE * 4).order(ByteOrder.nativeOrder()).asFloatBuffer(),
        workers, runner);
  }

  /** Echoes the first float of each row; fails any run that contains a NaN. */
  private BatchRunner<String> echo() {
    return (task, batch, first, rows) -> {
      runSizes.add(rows);
      float[][] out = new float[rows][];
      for (int i = 0; i < rows; i++) {
        float v = at(batch, (first + i) * SAMPLE);
        if (Float.isNaN(v)) {
          return Future.failedFuture(new IllegalStateException("NaN row"));
        }
        out[i] = new float[] {v};
      }
      return Future.succeededFuture(out);
    };
  }

  private static RowWriter value(float v) {
    return (Buffer b, int off) -> {
      ((FloatBuffer) b).put(off, v);
      ((FloatBuffer) b).put(off + 1, v);
    };
  }

  private static float at(Buffer batch, int index) {
    return ((FloatBuffer) batch).get(index);
  }

  private <T> T onContext(Function<Void, T> action) throws Exception {
    CompletableFuture<T> f = new CompletableFuture<>();
    context.runOnContext(v -> f.complete(action.apply(null)));
    return f.get(5, TimeUnit.SECONDS);
  }

  private List<RowResult> await(List<Future<RowResult>> futures) throws Exception {
    Future.join(new ArrayList<>(futures)).toCompletionStage().toCompletableFuture()
        .handle((r, e) -> null).get(10, TimeUnit.SECONDS);
    List<RowResult> out = new ArrayList<>();
    futures.forEach(f -> out.add(f.result()));
    return out;
  }

  @Test
  void fullBatchLeavesWithoutWaitingForTheDelay() throws Exception {
    MicroBatcher<String> b = batcher(4, 60_000, echo());
    List<Future<RowResult>> fs = onContext(v -> {
      List<Future<RowResult>> l = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        l.add(b.submit("t", value(i)));
      }
      return l;
    });
    List<RowResult> results = await(fs);
    for (int i = 0; i < 4; i++) {
      assertEquals(i, results.get(i).output()[0], 0f, "each event gets its own row");
      assertEquals(4, results.get(i).batchSize());
    }
    assertEquals(List.of(4), runSizes);
  }

  @Test
  void partialBatchLeavesAfterTheMaxQueueDelay() throws Exception {
    MicroBatcher<String> b = batcher(8, 50, echo());
    long start = System.nanoTime();
    List<Future<RowResult>> fs = onContext(v -> List.of(b.submit("t", value(1)), b.submit("t", value(2))));
    List<RowResult> results = await(fs);
    long waitedMs = (System.nanoTime() - start) / 1_000_000;
    assertEquals(2, results.get(1).batchSize());
    assertTrue(waitedMs >= 45, "left after " + waitedMs + " ms, before the 50 ms delay");
  }

  @Test
  void eventsQueueWhileSlotsAreBusySoBatchesGrow() throws Exception {
    List<Promise<float[][]>> held = new CopyOnWriteArrayList<>();
    BatchRunner<String> slow = (task, batch, first, rows) -> {
      runSizes.add(rows);
      Promise<float[][]> p = Promise.promise();
      held.add(p);
      float[][] out = new float[rows][];
      for (int i = 0; i < rows; i++) {
        out[i] = new float[] {at(batch, (first + i) * SAMPLE)};
      }
      vertx.setTimer(100, id -> p.complete(out));
      return p.future();
    };
    MicroBatcher<String> b = batcher(16, 0, slow);
    List<Future<RowResult>> fs = onContext(v -> {
      List<Future<RowResult>> l = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        l.add(b.submit("t", value(i)));
      }
      return l;
    });
    List<RowResult> results = await(fs);
    for (int i = 0; i < 12; i++) {
      assertEquals(i, results.get(i).output()[0], 0f);
    }
    // Delay 0: the first events leave alone, the rest wait for a free slot and leave together.
    assertEquals(12, runSizes.stream().mapToInt(Integer::intValue).sum());
    assertTrue(runSizes.size() < 12, "expected batching while slots are busy: " + runSizes);
  }

  @Test
  void failingRunIsSplitSoOnlyThePoisonEventFails() throws Exception {
    MicroBatcher<String> b = batcher(8, 60_000, echo());
    List<Future<RowResult>> fs = onContext(v -> {
      List<Future<RowResult>> l = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        l.add(b.submit("t", value(i == 5 ? Float.NaN : i)));
      }
      return l;
    });
    await(fs);
    for (int i = 0; i < 8; i++) {
      if (i == 5) {
        assertTrue(fs.get(i).failed());
        assertEquals(Reason.INFERENCE_FAILED, ((StageException) fs.get(i).cause()).reason());
      } else {
        assertEquals(i, fs.get(i).result().output()[0], 0f);
      }
    }
  }

  @Test
  void failingRowWriterFailsOnlyItsEvent() throws Exception {
    MicroBatcher<String> b = batcher(3, 60_000, echo());
    List<Future<RowResult>> fs = onContext(v -> List.of(b.submit("t", value(1)),
        b.submit("t", (buf, off) -> {
          throw new StageException(Reason.DECODE_FAILED, "bad pixels");
        }),
        b.submit("t", value(3))));
    await(fs);
    assertEquals(1, fs.get(0).result().output()[0], 0f);
    assertEquals(Reason.DECODE_FAILED, ((StageException) fs.get(1).cause()).reason());
    assertEquals(3, fs.get(2).result().output()[0], 0f);
  }

  /** A uint8 model's tensor is bytes: rows land as bytes, and a failed row is zeroed as bytes. */
  @Test
  void byteTensorsCarryRowsAndZeroFailedOnes() throws Exception {
    List<byte[]> seen = new CopyOnWriteArrayList<>();
    BatchRunner<String> bytes = (task, batch, first, rows) -> {
      float[][] out = new float[rows][];
      for (int i = 0; i < rows; i++) {
        byte[] row = new byte[SAMPLE];
        ((ByteBuffer) batch).get((first + i) * SAMPLE, row);
        seen.add(row);
        out[i] = new float[] {row[0] & 0xff};
      }
      return Future.succeededFuture(out);
    };
    MicroBatcher<String> b = new MicroBatcher<>(context, 3, 60_000, 1, SAMPLE,
        () -> ByteBuffer.allocateDirect(3 * SAMPLE), workers, bytes);
    RowWriter pixel200 = (buf, off) -> ((ByteBuffer) buf).put(off, new byte[] {(byte) 200, (byte) 200});
    List<Future<RowResult>> fs = onContext(v -> List.of(b.submit("t", pixel200),
        b.submit("t", (buf, off) -> {
          ((ByteBuffer) buf).put(off, (byte) 99);
          throw new StageException(Reason.DECODE_FAILED, "bad pixels");
        }),
        b.submit("t", pixel200)));
    await(fs);
    assertEquals(200, fs.get(0).result().output()[0], 0f, "an unsigned byte, as ORT reads uint8");
    assertEquals(Reason.DECODE_FAILED, ((StageException) fs.get(1).cause()).reason());
    assertEquals(List.of(0, 0), List.of((int) seen.get(1)[0], (int) seen.get(1)[1]), "the failed row is zeros");
    assertEquals(200, fs.get(2).result().output()[0], 0f);
  }

  @Test
  void batchesHoldOneTaskAndTasksTakeTurns() throws Exception {
    List<String> runTasks = new CopyOnWriteArrayList<>();
    BatchRunner<String> byTask = (task, batch, first, rows) -> {
      runTasks.add(task + ":" + rows);
      float[][] out = new float[rows][];
      for (int i = 0; i < rows; i++) {
        out[i] = new float[] {at(batch, (first + i) * SAMPLE)};
      }
      Promise<float[][]> p = Promise.promise();
      vertx.setTimer(20, id -> p.complete(out));
      return p.future();
    };
    MicroBatcher<String> b = new MicroBatcher<>(context, 4, 60_000, 1, SAMPLE,
        () -> ByteBuffer.allocateDirect(4 * SAMPLE * 4).order(ByteOrder.nativeOrder()).asFloatBuffer(),
        workers, byTask);
    List<Future<RowResult>> fs = onContext(v -> {
      List<Future<RowResult>> l = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        l.add(b.submit("busy", value(i)));
      }
      for (int i = 0; i < 4; i++) {
        l.add(b.submit("quiet", value(100 + i)));
      }
      return l;
    });
    List<RowResult> results = await(fs);
    assertEquals(100, results.get(12).output()[0], 0f, "rows stay with their events");
    assertEquals(List.of("busy:4", "quiet:4", "busy:4", "busy:4"), runTasks,
        "one slot: the quiet task is served second, not after all the busy one's batches");
  }

  /** A model that answers with fewer rows than it was given: the missing events fail, none hangs. */
  @Test
  void aModelReturningTooFewRowsFailsTheRestInsteadOfLeavingThemPending() throws Exception {
    BatchRunner<String> short1 = (task, batch, first, rows) -> {
      float[][] out = new float[Math.max(0, rows - 1)][];
      for (int i = 0; i < out.length; i++) {
        out[i] = new float[] {at(batch, (first + i) * SAMPLE)};
      }
      return Future.succeededFuture(out);
    };
    MicroBatcher<String> b = batcher(4, 60_000, short1);
    List<Future<RowResult>> fs = onContext(v -> {
      List<Future<RowResult>> l = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        l.add(b.submit("t", value(i)));
      }
      return l;
    });
    await(fs);
    for (int i = 0; i < 3; i++) {
      assertEquals(i, fs.get(i).result().output()[0], 0f);
    }
    assertTrue(fs.get(3).failed(), "the fourth event has no row");
    assertEquals(Reason.INFERENCE_FAILED, ((StageException) fs.get(3).cause()).reason());
    // The batcher still serves: the slot was given back.
    List<RowResult> again = await(onContext(v -> List.of(b.submit("t", value(9)), b.submit("t", value(9)),
        b.submit("t", value(9)), b.submit("t", value(9)))));
    assertEquals(9, again.get(0).output()[0], 0f);
  }

  /** A runner that throws instead of returning a failed future fails its events, not the batcher. */
  @Test
  void aRunnerThatThrowsFailsItsEvents() throws Exception {
    MicroBatcher<String> b = batcher(2, 60_000, (task, batch, first, rows) -> {
      throw new IllegalStateException("boom");
    });
    List<Future<RowResult>> fs = onContext(v -> List.of(b.submit("t", value(1)), b.submit("t", value(2))));
    await(fs);
    assertTrue(fs.get(0).failed() && fs.get(1).failed());
    assertEquals(Reason.INFERENCE_FAILED, ((StageException) fs.get(0).cause()).reason());
  }
}
