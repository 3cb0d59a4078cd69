package io.loraflow.batch;

import java.nio.Buffer;
import java.util.ArrayDeque;
import java.util.function.Supplier;

/**
 * Reuses batch tensors: direct buffers are costly to allocate and freed only by the GC. At most
 * one buffer per outstanding batch is ever created. Event loop only.
 */
final class BufferPool {
  private final ArrayDeque<Buffer> free = new ArrayDeque<>();
  private final Supplier<? extends Buffer> allocator;

  BufferPool(Supplier<? extends Buffer> allocator) {
    this.allocator = allocator;
  }

  Buffer take() {
    Buffer b = free.poll();
    return b != null ? b : allocator.get();
  }

  void release(Buffer b) {
    free.push(b);
  }
}
