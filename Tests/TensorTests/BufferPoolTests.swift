import XCTest
@testable import StyleGANTensor

/// The buffer pool's reuse across sizes.
final class BufferPoolTests: XCTestCase {
    func testFreedBufferServesSmallerRequestsUpToTheFitRatio() {
        BufferPool.drainShared()   // no other test's free buffers to fit instead
        var big: Tensor? = Tensor(uninitializedShape: [1_000_003])
        let pointer = big!.data
        big = nil   // back to the pool
        // A quarter of the size or more reuses it; the storage keeps its real capacity.
        var reused: Tensor? = Tensor(uninitializedShape: [300_007])
        XCTAssertEqual(reused!.data, pointer)
        reused = nil
        // The buffer went back whole: a request of the full size gets it again.
        var again: Tensor? = Tensor(uninitializedShape: [1_000_003])
        XCTAssertEqual(again!.data, pointer)
        again = nil
        // Below a quarter of its size, the request gets its own buffer.
        let small = Tensor(uninitializedShape: [200_003])
        XCTAssertNotEqual(small.data, pointer)
    }

    /// Values kept for the process's life take a buffer of exactly their size, never a
    /// larger free one (which they would hold for good).
    func testExactStorageNeverTakesALargerFreeBuffer() {
        BufferPool.drainShared()
        var big: Tensor? = Tensor(uninitializedShape: [1_000_003])
        let pointer = big!.data
        big = nil
        let exact = Tensor(exactUninitializedShape: [300_007])
        XCTAssertNotEqual(exact.data, pointer)
        XCTAssertEqual(exact.storage.capacity, 300_007)
        // The large free buffer is still there for a request that may take it.
        let fitted = Tensor(uninitializedShape: [300_007])
        XCTAssertEqual(fitted.data, pointer)
        XCTAssertEqual(fitted.storage.capacity, 1_000_003)
    }
}
