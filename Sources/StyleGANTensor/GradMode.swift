/// Whether ops record the graph needed for gradients.
///
/// Inference wraps its work in `withoutGradients { ... }`: nothing is recorded, no
/// backward closures are kept, and the fused inference kernels are used.
///
/// **Not thread-safe.** The mode is one process-wide counter, like the scratch
/// `Workspace` and the buffer pool: run tensor ops from one thread at a time (the kernels
/// parallelise internally with OpenMP). A server renders through one serial queue.
public enum GradMode {
    nonisolated(unsafe) static var depth = 0

    /// True when ops should record their inputs for differentiation.
    public static var isEnabled: Bool { depth == 0 }
}

/// Runs `body` without recording any gradient graph.
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    GradMode.depth += 1
    defer { GradMode.depth -= 1 }
    return try body()
}
