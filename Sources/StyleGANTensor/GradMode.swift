/// Whether ops record the graph needed for gradients.
///
/// Inference wraps its work in `withoutGradients { ... }`: nothing is recorded, no
/// backward closures are kept, and the fused inference kernels are used; renders for
/// viewing use `inferring { ... }`, which also allows the faster, slightly less exact
/// convolution kernels.
///
/// **Not thread-safe.** The mode is one process-wide counter, like the scratch
/// `Workspace` and the buffer pool: run tensor ops from one thread at a time (the kernels
/// parallelise internally with OpenMP). A server renders through one serial queue.
public enum GradMode {
    nonisolated(unsafe) static var depth = 0
    nonisolated(unsafe) static var inferenceDepth = 0

    /// True when ops should record their inputs for differentiation.
    public static var isEnabled: Bool { depth == 0 }

    /// True inside `inferring { ... }` (and not recording): convs may take the inference
    /// kernels, whose float32 rounding (~1e-5 relative) is fine for images but not for
    /// values that gradients are computed from or compared with.
    public static var usesInferenceKernels: Bool { depth > 0 && inferenceDepth > 0 }
}

/// Runs `body` without recording any gradient graph.
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    GradMode.depth += 1
    defer { GradMode.depth -= 1 }
    return try body()
}

/// Runs `body` without recording and with the inference kernels (Winograd F(4×4, 3×3),
/// up-convs that read their input through the upsampling): for images people look at.
/// Training's own no-grad work (the D step's fakes, backpropagation) stays on the
/// training kernels, so its values do not depend on where it is called from.
public func inferring<R>(_ body: () throws -> R) rethrows -> R {
    GradMode.inferenceDepth += 1
    defer { GradMode.inferenceDepth -= 1 }
    return try withoutGradients(body)
}

/// Runs `body` with the training kernels even inside `inferring` (backpropagation).
func withTrainingKernels<R>(_ body: () throws -> R) rethrows -> R {
    let saved = GradMode.inferenceDepth
    GradMode.inferenceDepth = 0
    defer { GradMode.inferenceDepth = saved }
    return try body()
}
