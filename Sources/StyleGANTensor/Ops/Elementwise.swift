import CKernels

// MARK: - Unary primitives

/// Runs a unary kernel into a new tensor (no graph).
func mapUnary(_ x: Tensor, _ op: ck_unary_op, _ a: Float = 0, _ b: Float = 0) -> Tensor {
    let y = Tensor(uninitializedShape: x.shape)
    ck_unary(op, x.data, y.data, Int64(x.count), a, b)
    return y
}

/// a·x + b element-wise.
public func affine(_ x: Tensor, scale a: Float, shift b: Float = 0) -> Tensor {
    recorded(mapUnary(x, CK_UNARY_AFFINE, a, b), op: "affine", input: x) { g in
        affine(g, scale: a)
    }
}

public func exp(_ x: Tensor) -> Tensor {
    recorded(mapUnary(x, CK_UNARY_EXP), op: "exp", input: x) { g in g * exp(x) }
}

public func log(_ x: Tensor) -> Tensor {
    recorded(mapUnary(x, CK_UNARY_LOG), op: "log", input: x) { g in g / x }
}

public func sqrt(_ x: Tensor) -> Tensor {
    recorded(mapUnary(x, CK_UNARY_SQRT), op: "sqrt", input: x) { g in
        g * affine(rsqrt(x), scale: 0.5)
    }
}

/// 1/√x.
public func rsqrt(_ x: Tensor) -> Tensor {
    recorded(mapUnary(x, CK_UNARY_RSQRT), op: "rsqrt", input: x) { g in
        // d/dx x^-1/2 = -1/2 · x^-1/2 / x
        g * affine(rsqrt(x) / x, scale: -0.5)
    }
}

public func reciprocal(_ x: Tensor) -> Tensor {
    recorded(mapUnary(x, CK_UNARY_RECIPROCAL), op: "reciprocal", input: x) { g in
        -(g / square(x))
    }
}

public func square(_ x: Tensor) -> Tensor {
    recorded(mapUnary(x, CK_UNARY_SQUARE), op: "square", input: x) { g in
        g * affine(x, scale: 2)
    }
}

public func sigmoid(_ x: Tensor) -> Tensor {
    recorded(mapUnary(x, CK_UNARY_SIGMOID), op: "sigmoid", input: x) { g in
        let s = sigmoid(x)
        return g * s * affine(s, scale: -1, shift: 1)
    }
}

/// log(1 + eˣ), computed stably.
public func softplus(_ x: Tensor) -> Tensor {
    recorded(mapUnary(x, CK_UNARY_SOFTPLUS), op: "softplus", input: x) { g in g * sigmoid(x) }
}

/// max(x, slope·x) (StyleGAN v1: no gain in the activation).
public func leakyRelu(_ x: Tensor, slope: Float = 0.2) -> Tensor {
    recorded(mapUnary(x, CK_UNARY_LEAKY_RELU, slope), op: "leakyRelu", input: x) { g in
        // The slope map is piecewise constant: a constant of the graph (zero second derivative).
        g * mapUnary(x.detached(), CK_UNARY_LEAKY_SLOPE, slope)
    }
}

public prefix func - (x: Tensor) -> Tensor {
    recorded(mapUnary(x, CK_UNARY_NEG), op: "neg", input: x) { g in -g }
}

// MARK: - Broadcasting binary primitives

private func mapBinary(_ a: Tensor, _ b: Tensor, _ op: ck_binary_op, _ name: String) -> Tensor {
    let shape = a.shape == b.shape ? a.shape : Shape.broadcast(a.shape, b.shape, op: name)
    let out = Tensor(uninitializedShape: shape)
    let sa = Shape.broadcastStrides(a.shape, to: shape)
    let sb = Shape.broadcastStrides(b.shape, to: shape)
    let dims = shape.map(Int64.init)
    ck_binary(op, a.data, sa, b.data, sb, out.data, dims, Int32(shape.count))
    return out
}

public func + (a: Tensor, b: Tensor) -> Tensor {
    recorded(mapBinary(a, b, CK_BINARY_ADD, "add"), op: "add", inputs: [a, b]) { g, needs in
        [needs[0] ? sum(g, to: a.shape) : nil, needs[1] ? sum(g, to: b.shape) : nil]
    }
}

public func - (a: Tensor, b: Tensor) -> Tensor {
    recorded(mapBinary(a, b, CK_BINARY_SUB, "sub"), op: "sub", inputs: [a, b]) { g, needs in
        [needs[0] ? sum(g, to: a.shape) : nil, needs[1] ? sum(-g, to: b.shape) : nil]
    }
}

public func * (a: Tensor, b: Tensor) -> Tensor {
    recorded(mapBinary(a, b, CK_BINARY_MUL, "mul"), op: "mul", inputs: [a, b]) { g, needs in
        [needs[0] ? sum(g * b, to: a.shape) : nil,
         needs[1] ? sum(g * a, to: b.shape) : nil]
    }
}

public func / (a: Tensor, b: Tensor) -> Tensor {
    recorded(mapBinary(a, b, CK_BINARY_DIV, "div"), op: "div", inputs: [a, b]) { g, needs in
        [needs[0] ? sum(g / b, to: a.shape) : nil,
         needs[1] ? sum(-(g * a / square(b)), to: b.shape) : nil]
    }
}

/// `x` repeated along its size-1 (or missing leading) dimensions to `shape`.
public func broadcast(_ x: Tensor, to shape: [Int]) -> Tensor {
    if x.shape == shape { return x }
    let target = Shape.broadcast(x.shape, shape, op: "broadcast")
    precondition(target == shape, "broadcast: shape \(x.shape) cannot be broadcast to \(shape)")
    let out = Tensor(uninitializedShape: shape)
    let sx = Shape.broadcastStrides(x.shape, to: shape)
    ck_binary(CK_BINARY_COPY_A, x.data, sx, nil, nil, out.data, shape.map(Int64.init), Int32(shape.count))
    return recorded(out, op: "broadcast", input: x) { g in sum(g, to: x.shape) }
}

// MARK: - Scalar conveniences (all through `affine`)

public func + (a: Tensor, s: Float) -> Tensor { affine(a, scale: 1, shift: s) }
public func + (s: Float, a: Tensor) -> Tensor { affine(a, scale: 1, shift: s) }
public func - (a: Tensor, s: Float) -> Tensor { affine(a, scale: 1, shift: -s) }
public func - (s: Float, a: Tensor) -> Tensor { affine(a, scale: -1, shift: s) }
public func * (a: Tensor, s: Float) -> Tensor { affine(a, scale: s) }
public func * (s: Float, a: Tensor) -> Tensor { affine(a, scale: s) }
public func / (a: Tensor, s: Float) -> Tensor { affine(a, scale: 1 / s) }

/// a + t·(b − a).
public func lerp(_ a: Tensor, _ b: Tensor, _ t: Float) -> Tensor { a + (b - a) * t }
