import CKernels
import Foundation

/// A float32 tensor with contiguous row-major (NCHW) storage.
///
/// Tensors are values by convention: ops return new tensors and never modify their
/// inputs. The exceptions are explicit (`withMutableData`, optimiser updates on
/// parameters). A tensor produced by an op on tensors that require gradients records
/// how it was made, so `gradients(of:withRespectTo:)` can differentiate it — to any
/// order, since every backward rule is written with the same ops.
///
/// `Sendable` so that a tensor can be handed to another thread, but ops are **not**
/// thread-safe: they share process-wide state (`GradMode`, `Workspace`, the buffer
/// pool), so only one thread at a time may run them.
public final class Tensor: @unchecked Sendable {
    /// Dimensions, outermost first (`[N, C, H, W]` for images).
    public let shape: [Int]
    /// Number of elements.
    public let count: Int
    let storage: TensorStorage
    /// Whether gradients flow to (or through) this tensor.
    public internal(set) var requiresGrad: Bool
    /// How this tensor was computed; nil for leaves and constants.
    var gradNode: GradNode?

    init(shape: [Int], storage: TensorStorage, requiresGrad: Bool = false) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        let n = Shape.count(shape)
        precondition(n <= storage.count, "shape \(shape) needs \(n) elements, storage has \(storage.count)")
        self.shape = shape
        self.count = n
        self.storage = storage
        self.requiresGrad = requiresGrad
    }

    /// Uninitialised, in a buffer of exactly its size (see `TensorStorage(exactCount:)`).
    init(exactUninitializedShape shape: [Int]) {
        self.shape = shape
        self.count = Shape.count(shape)
        self.storage = TensorStorage(exactCount: count)
        self.requiresGrad = false
    }

    /// Uninitialised tensor (every element is written by the caller).
    init(uninitializedShape shape: [Int]) {
        self.shape = shape
        self.count = Shape.count(shape)
        self.storage = TensorStorage(count: count)
        self.requiresGrad = false
    }

    /// A tensor holding `values` (row-major) with the given shape.
    public convenience init(shape: [Int], values: [Float], requiresGrad: Bool = false) {
        precondition(Shape.count(shape) == values.count,
                     "shape \(shape) needs \(Shape.count(shape)) values, got \(values.count)")
        self.init(uninitializedShape: shape)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { data.update(from: base, count: values.count) }
        }
        self.requiresGrad = requiresGrad
    }

    /// A scalar (shape `[]`).
    public convenience init(_ value: Float) { self.init(shape: [], values: [value]) }

    /// A tensor filled with one value.
    public static func full(_ shape: [Int], _ value: Float, requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        t.data.initialize(repeating: value, count: t.count)
        t.requiresGrad = requiresGrad
        return t
    }

    /// A tensor whose values are unset: only for a caller that writes every element before
    /// anything reads one (it saves touching fresh memory twice).
    public static func unfilled(_ shape: [Int]) -> Tensor { Tensor(uninitializedShape: shape) }

    public static func zeros(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        full(shape, 0, requiresGrad: requiresGrad)
    }

    public static func ones(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        full(shape, 1, requiresGrad: requiresGrad)
    }

    /// Raw element pointer (contiguous, `count` elements).
    public var data: UnsafeMutablePointer<Float> { storage.pointer }

    /// Number of dimensions.
    public var rank: Int { shape.count }

    /// A copy of the elements.
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// Whether every element is finite (no NaN or infinity).
    public var isAllFinite: Bool { ck_all_finite(data, Int64(count)) != 0 }

    /// The single element of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item: tensor of shape \(shape) has \(count) elements")
        return data[0]
    }

    /// The same values, cut off from the graph (no gradient flows through).
    public func detached() -> Tensor { Tensor(shape: shape, storage: storage) }

    /// A leaf sharing this tensor's values that requires gradients (for parameters and
    /// inputs to be differentiated).
    public func requiringGrad() -> Tensor { Tensor(shape: shape, storage: storage, requiresGrad: true) }

    /// An independent copy with fresh storage (no graph).
    public func copy() -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        t.data.update(from: data, count: count)
        return t
    }

    /// Mutates the elements in place; for parameter updates and initialisation only.
    public func withMutableData<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: data, count: count))
    }

    /// Traps unless this tensor has `expected` shape, naming both shapes.
    public func expectShape(_ expected: [Int], _ op: String) {
        precondition(shape == expected, "\(op): expected shape \(expected), got \(shape)")
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = scalars.prefix(8).map { String(format: "%.5g", $0) }.joined(separator: ", ")
        return "Tensor(\(shape), [\(preview)\(count > 8 ? ", …" : "")])"
    }
}

extension Tensor {
    /// Leaf tensors that are consecutive pieces of this contiguous tensor's memory, one
    /// per shape (shared storage: writing either side is seen by the other). Used to
    /// keep a whole parameter set, its gradients and optimiser moments in one buffer each.
    public func splitViews(shapes: [[Int]], requiresGrad: Bool) -> [Tensor] {
        var offset = 0
        let views = shapes.map { shape -> Tensor in
            let n = Shape.count(shape)
            defer { offset += n }
            return Tensor(shape: shape, storage: TensorStorage(slicing: storage, offset: offset, count: n),
                          requiresGrad: requiresGrad)
        }
        precondition(offset <= count, "splitViews: shapes need \(offset) floats, tensor has \(count)")
        return views
    }

    /// Standard normal samples determined by `seed` alone (any thread count gives the
    /// same values); `scale` multiplies them.
    public static func randomNormal(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        ck_fill_normal(t.data, Int64(t.count), seed)
        if scale != 1 { ck_unary(CK_UNARY_AFFINE, t.data, t.data, Int64(t.count), scale, 0) }
        return t
    }
}

extension Tensor {
    /// A tensor whose elements the caller will overwrite entirely (skips the fill).
    public static func uninitialized(_ shape: [Int]) -> Tensor { Tensor(uninitializedShape: shape) }
}
