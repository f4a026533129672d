import CKernels

/// Sum over `axes` (all axes when nil). With `keepDims` reduced axes stay as size 1.
public func sum(_ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
    let rank = x.rank
    let reduced = Set((axes ?? Array(0..<rank)).map { Shape.axis($0, rank: rank, op: "sum") })
    let keptShape = (0..<rank).map { reduced.contains($0) ? 1 : x.shape[$0] }
    let outShape = keepDims ? keptShape : (0..<rank).filter { !reduced.contains($0) }.map { x.shape[$0] }
    let out = reduceToKept(x, keptShape: keptShape, outShape: outShape)
    return recorded(out, op: "sum", input: x) { g in
        broadcast(reshape(g, keptShape), to: x.shape)
    }
}

/// Mean over `axes` (all axes when nil).
public func mean(_ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
    let rank = x.rank
    let reduced = (axes ?? Array(0..<rank)).map { Shape.axis($0, rank: rank, op: "mean") }
    let n = Set(reduced).reduce(1) { $0 * x.shape[$1] }
    return sum(x, axes: axes, keepDims: keepDims) * (1 / Float(max(n, 1)))
}

/// Sums `x` down to `shape` (the adjoint of broadcasting `shape` up to `x.shape`).
public func sum(_ x: Tensor, to shape: [Int]) -> Tensor {
    if x.shape == shape { return x }
    let lead = x.rank - shape.count
    precondition(lead >= 0, "sum(to:): cannot reduce shape \(x.shape) to \(shape)")
    var axes = Array(0..<lead)
    for (i, d) in shape.enumerated() where d != x.shape[lead + i] {
        precondition(d == 1, "sum(to:): cannot reduce shape \(x.shape) to \(shape)")
        axes.append(lead + i)
    }
    return reshape(sum(x, axes: axes, keepDims: true), shape)
}

/// Raw reduction of x to `keptShape` (same rank, reduced dims = 1), stored as `outShape`.
/// Reduces one run of adjacent reduced axes at a time with ck_reduce_sum_axis.
private func reduceToKept(_ x: Tensor, keptShape: [Int], outShape: [Int]) -> Tensor {
    var current = x
    var shape = x.shape
    var d = 0
    while d < shape.count {
        guard keptShape[d] == 1 && shape[d] != 1 else { d += 1; continue }
        var end = d
        while end + 1 < shape.count && keptShape[end + 1] == 1 { end += 1 }
        let outer = shape[..<d].reduce(1, *)
        let reduce = shape[d...end].reduce(1, *)
        let inner = shape[(end + 1)...].reduce(1, *)
        var next = shape
        for i in d...end { next[i] = 1 }
        let out = Tensor(uninitializedShape: next)
        if reduce == 0 {
            out.data.initialize(repeating: 0, count: out.count)
        } else {
            ck_reduce_sum_axis(current.data, out.data, Int64(outer), Int64(reduce), Int64(inner))
        }
        current = out
        shape = next
        d = end + 1
    }
    if current === x { current = x.copy() }
    return Tensor(shape: outShape, storage: current.storage)
}
