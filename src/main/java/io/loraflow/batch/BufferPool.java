package io.loraflow.batch;

import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.function.Supplier;

/**
 * Reuses batch tensors: direct buffers are costly to allocate and freed only by the GC. At most
 * one buffer per outstanding batch is ever created. Event loop only.
 */
final class BufferPool {
  private final ArrayDeque<FloatBuffer> free = new ArrayDeque<>();
  private final Supplier<FloatBuffer> allocator;

  BufferPool(Supplier<FloatBuffer> allocator) {
    this.allocator = allocator;
  }

  FloatBuffer take() {
    FloatBuffer b = free.poll();
    return b != null ? b : allocator.get();
  }

  void release(FloatBuffer b) {
    free.push(b);
  }
}
