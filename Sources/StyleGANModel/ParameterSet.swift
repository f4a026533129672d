import StyleGANTensor

/// How a parameter is laid out in weights files versus at run time.
public enum FileLayout: Sendable {
    /// Same shape and order.
    case same
    /// Conv weight: run time [out, in, kh, kw]; file (official TF) [kh, kw, in, out].
    case convHWIO
}

/// How a parameter starts (official StyleGAN initialisation).
public enum Initializer: Sendable {
    case normal(std: Float)
    case constant(Float)
}

/// One named parameter: official variable name, run-time shape, layout in files.
public struct ParameterSpec: Sendable {
    public var name: String
    public var shape: [Int]
    public var initializer: Initializer
    public var fileLayout: FileLayout

    public init(_ name: String, _ shape: [Int], _ initializer: Initializer, fileLayout: FileLayout = .same) {
        self.name = name; self.shape = shape; self.initializer = initializer; self.fileLayout = fileLayout
    }

    /// Shape as stored in weights files.
    public var fileShape: [Int] {
        switch fileLayout {
        case .same: return shape
        case .convHWIO: return [shape[2], shape[3], shape[1], shape[0]]
        }
    }
}

/// A network's trainable parameters in one flat buffer, addressable by official name.
///
/// Each parameter is a view into `flat`, so optimiser steps, EMA, copying and
/// checkpointing are single loops over one buffer.
public final class ParameterSet: @unchecked Sendable {
    public let specs: [ParameterSpec]
    /// All parameters back to back, in `specs` order.
    public let flat: Tensor
    /// One leaf per spec (requires gradients), viewing `flat`.
    public let tensors: [Tensor]
    private let index: [String: Int]

    /// Allocates and initialises the parameters; `seed` drives the normal initialisers.
    /// With `initialize` false the values stay zero.
    public convenience init(specs: [ParameterSpec], seed: UInt64 = 0, initialize: Bool = true) {
        self.init(specs: specs, flat: Tensor.zeros([Self.count(specs)]))
        guard initialize else { return }
        for (i, (spec, t)) in zip(specs, tensors).enumerated() {
            switch spec.initializer {
            case .constant(let v):
                t.withMutableData { $0.initialize(repeating: v) }
            case .normal(let std):
                let r = Tensor.randomNormal(spec.shape, seed: seed &* 1_000_003 &+ UInt64(i), scale: std)
                t.withMutableData { $0.baseAddress!.update(from: r.data, count: r.count) }
            }
        }
    }

    /// For a set its caller writes completely before anything reads it (a weights file's
    /// values): nothing is written first, so the fill is the first touch of the memory
    /// (fresh pages cost 2.5-20 µs each on a VM; a zero-fill first was ~60 ms of 100 MB).
    convenience init(unfilledSpecs specs: [ParameterSpec]) {
        self.init(specs: specs, flat: Tensor.unfilled([Self.count(specs)]))
    }

    private init(specs: [ParameterSpec], flat: Tensor) {
        self.specs = specs
        self.flat = flat
        tensors = flat.splitViews(shapes: specs.map(\.shape), requiresGrad: true)
        var idx: [String: Int] = [:]
        for (i, s) in specs.enumerated() {
            precondition(idx[s.name] == nil, "duplicate parameter name \(s.name)")
            idx[s.name] = i
        }
        index = idx
    }

    private static func count(_ specs: [ParameterSpec]) -> Int { specs.reduce(0) { $0 + Shape.count($1.shape) } }

    /// The parameter with this official name (traps on an unknown name: a programming error).
    public subscript(_ name: String) -> Tensor {
        guard let i = index[name] else { preconditionFailure("no parameter named \(name)") }
        return tensors[i]
    }

    /// The same values (shared storage) as constants: gradients do not flow into them.
    /// Used to run a network whose weights are not being trained in this step.
    public func frozen() -> ParameterSet { ParameterSet(sharing: self, requiresGrad: false) }

    private init(sharing other: ParameterSet, requiresGrad: Bool) {
        specs = other.specs
        flat = other.flat
        tensors = other.flat.splitViews(shapes: other.specs.map(\.shape), requiresGrad: requiresGrad)
        index = other.index
    }

    /// Whether a parameter of this name exists.
    public func contains(_ name: String) -> Bool { index[name] != nil }

    /// Number of trainable scalars.
    public var count: Int { flat.count }

    /// A deep copy with the same specs (e.g. the EMA generator).
    public func copy() -> ParameterSet {
        let c = ParameterSet(specs: specs, initialize: false)
        c.flat.withMutableData { $0.baseAddress!.update(from: flat.data, count: flat.count) }
        return c
    }

    /// Overwrites all values from another set with identical specs.
    public func assign(from other: ParameterSet) {
        precondition(other.flat.count == flat.count, "assign: parameter sets differ in size")
        flat.withMutableData { $0.baseAddress!.update(from: other.flat.data, count: flat.count) }
    }

    /// Gradients (one per parameter, as `gradients(of:withRespectTo: tensors)` returns)
    /// packed into one flat tensor in `specs` order.
    public func flatten(_ grads: [Tensor]) -> Tensor {
        precondition(grads.count == tensors.count, "flatten: \(grads.count) gradients for \(tensors.count) parameters")
        let out = Tensor.zeros([flat.count])
        var offset = 0
        for g in grads {
            (out.data + offset).update(from: g.data, count: g.count)
            offset += g.count
        }
        return out
    }
}
