import Foundation

/// Owns one 64-byte aligned float32 buffer. Released buffers go back to a size-keyed
/// pool so that repeated forward passes (inference, training steps) reuse memory
/// instead of asking the system allocator (and the kernel, for large blocks) each time.
final class TensorStorage: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    /// Floats the buffer really holds (>= count: the pool may hand out a larger free one).
    let capacity: Int
    /// For a slice: the storage whose memory this is (kept alive; nothing is freed).
    private let base: TensorStorage?

    /// Uninitialised storage for `count` floats.
    init(count: Int) {
        self.count = count
        (self.pointer, self.capacity) = BufferPool.shared.take(count: count)
        self.base = nil
    }

    /// Uninitialised storage of exactly `count` floats, never a larger pooled buffer: for
    /// values kept for the process's life (`FrozenWeights`), which would otherwise hold a
    /// free buffer up to `BufferPool.fitRatio` times their size.
    init(exactCount count: Int) {
        self.count = count
        (self.pointer, self.capacity) = BufferPool.shared.takeExact(count: count)
        self.base = nil
    }

    /// `count` floats of `base` starting at `offset` (shared memory).
    init(slicing base: TensorStorage, offset: Int, count: Int) {
        precondition(offset >= 0 && offset + count <= base.count, "storage slice \(offset)..<\(offset + count) outside \(base.count) floats")
        self.pointer = base.pointer + offset
        self.count = count
        self.capacity = count
        self.base = base
    }

    deinit { if base == nil { BufferPool.shared.give(pointer, capacity: capacity) } }
}

/// A bounded free list of float buffers keyed by element count. A request without a free
/// buffer of its exact size takes the smallest free one of up to `fitRatio` times its size
/// before allocating: the first pass of a network (every size new) then reuses the
/// memory of layers already done instead of touching fresh pages, which the kernel must
/// zero (and a VM's host may have to back) one by one. Measured with `generate` on an
/// official 256² model: peak resident 440 -> 377 MB for one batch, 410 MB for 8 batches
/// (a larger buffer taken for a smaller tensor can leave a later exact request to allocate).
public final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool()

    /// Bytes the pool may hold while idle; beyond this buffers are freed. A training
    /// step frees and re-allocates gigabytes each iteration: a pool too small to hold
    /// them sends every large allocation back to the kernel, which zeroes fresh pages
    /// (measured: 12% of a 64 px training step). Default: a quarter of physical memory.
    var capacityBytes = Int(min(ProcessInfo.processInfo.physicalMemory / 4, UInt64(Int.max)))
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var heldBytes = 0
    private var counters = Statistics()
    private let lock = NSLock()
    static let fitRatio = 4

    /// A buffer of at least `count` floats and its real capacity.
    func take(count: Int) -> (UnsafeMutablePointer<Float>, capacity: Int) { take(count: count, fitRatio: Self.fitRatio) }

    /// A buffer of exactly `count` floats: a free one of that size, else a new one.
    func takeExact(count: Int) -> (UnsafeMutablePointer<Float>, capacity: Int) { take(count: count, fitRatio: 1) }

    /// A free buffer of `count` to `fitRatio` x `count` floats (the smallest), else a new one.
    private func take(count: Int, fitRatio: Int) -> (UnsafeMutablePointer<Float>, capacity: Int) {
        let n = max(count, 1)
        lock.lock()
        // Lists are never left empty (popping the last one removes the key).
        let fit = free[n] != nil ? n : free.keys.filter { $0 > n && $0 <= n * fitRatio }.min()
        if let size = fit, var list = free[size], let p = list.popLast() {
            free[size] = list.isEmpty ? nil : list
            heldBytes -= size * 4
            lock.unlock()
            return (p, size)
        }
        counters.allocatedBytes += n * 4
        lock.unlock()
        return (Self.allocate(n), n)
    }

    private static func allocate(_ n: Int) -> UnsafeMutablePointer<Float> {
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, n * MemoryLayout<Float>.stride) == 0, let raw else {
            fatalError("out of memory allocating \(n) floats")
        }
        return raw.bindMemory(to: Float.self, capacity: n)
    }

    /// Returns a buffer `take` handed out, with the capacity it reported.
    func give(_ p: UnsafeMutablePointer<Float>, capacity: Int) {
        let n = max(capacity, 1)
        lock.lock()
        if heldBytes + n * 4 <= capacityBytes {
            free[n, default: []].append(p)
            heldBytes += n * 4
            lock.unlock()
        } else {
            counters.freedBytes += n * 4
            lock.unlock()
            Foundation.free(p)
        }
    }

    /// Frees every pooled buffer.
    func drain() {
        lock.lock()
        for list in free.values { for p in list { Foundation.free(p) } }
        free.removeAll()
        heldBytes = 0
        lock.unlock()
    }
}

extension BufferPool {
    /// Frees the shared pool's idle buffers (e.g. before measuring peak memory).
    public static func drainShared() { shared.drain() }

    /// What the pool has asked of the system allocator so far (cumulative).
    public struct Statistics: Sendable, Equatable {
        /// Bytes of buffers newly allocated (no free buffer fitted).
        public var allocatedBytes = 0
        /// Bytes of returned buffers freed because the pool was full.
        public var freedBytes = 0
    }

    /// The shared pool's counters: in a steady loop (training steps, renders) they stop
    /// growing once every size the loop needs is pooled.
    public static var sharedStatistics: Statistics {
        shared.lock.lock(); defer { shared.lock.unlock() }
        return shared.counters
    }
}
