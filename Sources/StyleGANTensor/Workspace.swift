/// A grow-only scratch buffer for kernels that need workspace (conv, upfirdn2d).
/// Sized once for the largest request and then reused: no allocation per call.
/// One per process, hence **not thread-safe**: ops run on one thread at a time (see `GradMode`).
enum Workspace {
    nonisolated(unsafe) private static var buffer: TensorStorage?

    /// A pointer to at least `floats` scratch floats, valid until the next call.
    static func pointer(floats: Int) -> UnsafeMutablePointer<Float> {
        if let b = buffer, b.count >= floats { return b.pointer }
        buffer = nil
        let b = TensorStorage(count: max(floats, 1))
        buffer = b
        return b.pointer
    }
}
