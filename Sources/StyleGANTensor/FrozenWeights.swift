import CKernels

/// Weights promised not to change while this is in use (a loaded model that is only
/// sampled: `serve`, `generate`, `interpolate`), and what inference derives from them,
/// kept across renders instead of recomputed by every one:
/// - equalized-lr scaled weights (`scaled(_:by:)`, the same `weight * scale` op, kept);
/// - the F(4×4, 3×3) transformed filters of the convs that plan to it, up to
///   `maxKeptFilterFloats` each (36 cout cin floats, 4x the weight; at the bundled model's
///   64² batch 1 the transform was ~7 % of a render). Larger ones are transformed per call
///   as without the cache: kept, every render streams them from memory (4x the weight
///   instead of 1x), which made an official 64² model's batch-1 renders 0-10 % slower.
/// Kept values are computed by the same kernels as the uncached path, and a kept filter
/// changes no conv's plan, so a frozen generator renders the same bytes as a live one.
///
/// Takes effect only inside `use { }`, with gradients off, for the tensors given at
/// init and the scaled tensors made from them; anything else passes through. Like
/// `GradMode`, process-wide and not thread-safe: one render at a time.
public final class FrozenWeights: @unchecked Sendable {
    nonisolated(unsafe) static var current: FrozenWeights?

    private struct ScaledKey: Hashable { let weight: ObjectIdentifier; let scaleBits: UInt32 }
    private struct FilterKey: Hashable { let weight: ObjectIdentifier; let rotated: Bool }

    /// Holds the frozen tensors (so their identifiers are never reused while kept).
    private var frozen: [ObjectIdentifier: Tensor] = [:]
    private var scaledWeights: [ScaledKey: Tensor] = [:]
    private var filters: [FilterKey: Tensor] = [:]
    /// Values computed and kept so far (a render that finds everything kept adds none).
    public private(set) var computedCount = 0

    /// `tensors` (a network's parameters) must not change while this is in use.
    public init(_ tensors: [Tensor]) {
        for t in tensors { frozen[ObjectIdentifier(t)] = t }
    }

    /// Floats kept besides the frozen tensors themselves (each in a buffer of its size).
    public var keptFloats: Int {
        scaledWeights.values.reduce(0) { $0 + $1.count } + filters.values.reduce(0) { $0 + $1.count }
    }

    /// Runs `body` with this cache in effect.
    public func use<R>(_ body: () throws -> R) rethrows -> R {
        let saved = Self.current
        Self.current = self
        defer { Self.current = saved }
        return try body()
    }

    private func isFrozen(_ t: Tensor) -> Bool { frozen[ObjectIdentifier(t)] != nil }

    /// Largest transformed filter kept: 4 MiB (128 x 128 channels: 2.25 MiB; 256 x 256: 9 MiB).
    public static let maxKeptFilterFloats = 1 << 20

    /// Whether `weight` is frozen in the cache in effect, with gradients off: values
    /// derived from it are kept.
    public static func keeps(_ weight: Tensor) -> Bool {
        !GradMode.isEnabled && current?.isFrozen(weight) == true
    }

    /// Whether the transformed filter of the 3x3 conv weight [out, in, 3, 3] is kept
    /// (`keeps` and at most `maxKeptFilterFloats`) wherever its convs plan to F(4×4, 3×3).
    public static func keepsFilter(_ weight: Tensor) -> Bool {
        weight.rank == 4 && 36 * weight.shape[0] * weight.shape[1] <= maxKeptFilterFloats && keeps(weight)
    }

    /// `weight * scale`, kept when `weight` is frozen in the cache in effect (and
    /// gradients are off); the kept tensor is frozen too.
    public static func scaled(_ weight: Tensor, by scale: Float) -> Tensor {
        guard !GradMode.isEnabled, let cache = current, cache.isFrozen(weight) else { return weight * scale }
        let key = ScaledKey(weight: ObjectIdentifier(weight), scaleBits: scale.bitPattern)
        if let kept = cache.scaledWeights[key] { return kept }
        // In a buffer of its own size: the pool could hand a kept value a free buffer up to
        // 4x larger, held for the process's life.
        let value = Tensor(exactUninitializedShape: weight.shape)
        let scaled = weight * scale
        value.withMutableData { $0.baseAddress!.update(from: scaled.data, count: scaled.count) }
        cache.scaledWeights[key] = value
        cache.computedCount += 1
        cache.frozen[ObjectIdentifier(value)] = value
        return value
    }

    /// The transformed filter of `weight` for the inference conv `shape` (rotated taps if
    /// `rotated`), kept; nil unless `keepsFilter(weight)` and the inference plan of `shape`
    /// has a filter transform (F(4×4, 3×3)).
    static func inferenceFilter(_ weight: Tensor, shape: ck_conv_shape, rotated: Bool) -> Tensor? {
        guard keepsFilter(weight), let cache = current else { return nil }
        var s = shape
        let floats = Int(ck_conv2d_inference_filter_floats(&s))
        guard floats > 0 else { return nil }
        let key = FilterKey(weight: ObjectIdentifier(weight), rotated: rotated)
        if let kept = cache.filters[key] { return kept }   // its size depends on the weight's shape alone
        let filter = Tensor(exactUninitializedShape: [floats])
        ck_conv2d_inference_transform_filter(&s, rotated ? 1 : 0, weight.data, filter.data)
        cache.filters[key] = filter
        cache.computedCount += 1
        return filter
    }
}
