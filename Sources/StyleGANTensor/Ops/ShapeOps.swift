import CKernels
import Foundation

/// The same elements with a new shape (shares storage; one dimension may be -1).
public func reshape(_ x: Tensor, _ shape: [Int]) -> Tensor {
    var shape = shape
    if let i = shape.firstIndex(of: -1) {
        let known = shape.enumerated().filter { $0.offset != i }.reduce(1) { $0 * $1.element }
        precondition(known > 0 && x.count % known == 0, "reshape: cannot reshape \(x.shape) to \(shape)")
        shape[i] = x.count / known
    }
    precondition(Shape.count(shape) == x.count, "reshape: cannot reshape \(x.shape) (\(x.count) elements) to \(shape)")
    if shape == x.shape { return x }
    let out = Tensor(shape: shape, storage: x.storage)
    return recorded(out, op: "reshape", input: x) { g in reshape(g, x.shape) }
}

/// Copies blocks of `x` viewed as [outer, xAxis·inner] into `out` viewed as
/// [outer, outAxis·inner], starting at `outOffset` along the axis.
private func copyBlocks(from x: Tensor, xStart: Int, into out: Tensor, outStart: Int,
                        length: Int, axis: Int) {
    let inner = x.shape[(axis + 1)...].reduce(1, *)
    let outer = x.shape[..<axis].reduce(1, *)
    let xRow = x.shape[axis] * inner, outRow = out.shape[axis] * inner
    let block = length * inner
    guard block > 0 else { return }
    for o in 0..<outer {
        (out.data + o * outRow + outStart * inner)
            .update(from: x.data + o * xRow + xStart * inner, count: block)
    }
}

/// Elements `start ..< start+length` along `axis`.
public func slice(_ x: Tensor, axis: Int, start: Int, length: Int) -> Tensor {
    let axis = Shape.axis(axis, rank: x.rank, op: "slice")
    precondition(start >= 0 && length >= 0 && start + length <= x.shape[axis],
                 "slice: range \(start)..<\(start + length) out of bounds for axis \(axis) of shape \(x.shape)")
    var shape = x.shape
    shape[axis] = length
    let out = Tensor(uninitializedShape: shape)
    copyBlocks(from: x, xStart: start, into: out, outStart: 0, length: length, axis: axis)
    let size = x.shape[axis]
    return recorded(out, op: "slice", input: x) { g in
        pad(g, axis: axis, before: start, after: size - start - length)
    }
}

/// Zero padding along `axis` (the adjoint of `slice`).
public func pad(_ x: Tensor, axis: Int, before: Int, after: Int) -> Tensor {
    let axis = Shape.axis(axis, rank: x.rank, op: "pad")
    var shape = x.shape
    shape[axis] += before + after
    let out = Tensor.zeros(shape)
    copyBlocks(from: x, xStart: 0, into: out, outStart: before, length: x.shape[axis], axis: axis)
    let length = x.shape[axis]
    return recorded(out, op: "pad", input: x) { g in
        slice(g, axis: axis, start: before, length: length)
    }
}

/// Joins tensors along `axis`; all other dimensions must match.
public func concat(_ xs: [Tensor], axis: Int) -> Tensor {
    precondition(!xs.isEmpty, "concat: no tensors")
    let axis = Shape.axis(axis, rank: xs[0].rank, op: "concat")
    var shape = xs[0].shape
    shape[axis] = 0
    for x in xs {
        var s = x.shape
        s[axis] = 0
        precondition(s == shape.enumerated().map { $0.offset == axis ? 0 : $0.element },
                     "concat: shapes \(xs[0].shape) and \(x.shape) differ outside axis \(axis)")
        shape[axis] += x.shape[axis]
    }
    let out = Tensor(uninitializedShape: shape)
    var offset = 0
    var starts: [Int] = []
    for x in xs {
        copyBlocks(from: x, xStart: 0, into: out, outStart: offset, length: x.shape[axis], axis: axis)
        starts.append(offset)
        offset += x.shape[axis]
    }
    return recorded(out, op: "concat", inputs: xs) { g, needs in
        zip(xs, zip(starts, needs)).map { x, sn in sn.1 ? slice(g, axis: axis, start: sn.0, length: x.shape[axis]) : nil }
    }
}

/// Reorders dimensions: output dimension i is input dimension `order[i]`.
/// Writes `source` (a buffer of `shape`) permuted by `order` into `destination` (of
/// the permuted shape), with no allocation: for filling parameters from a file layout.
public func permuteCopy(_ source: UnsafeBufferPointer<Float>, shape: [Int], order: [Int], into destination: UnsafeMutableBufferPointer<Float>) {
    precondition(order.sorted() == Array(0..<shape.count) && source.count == Shape.count(shape) && destination.count == source.count,
                 "permuteCopy: \(order) over \(shape) with \(source.count) → \(destination.count) values")
    guard source.count > 0 else { return }
    if order == [3, 2, 0, 1] {   // conv weights [kh, kw, I, O] (file) → [O, I, kh, kw]
        transposeTaps(source, shape: shape, into: destination)
        return
    }
    let strides = Shape.strides(shape)
    let outShape = order.map { shape[$0] }
    ck_binary(CK_BINARY_COPY_A, source.baseAddress!, order.map { Int64(strides[$0]) }, nil, nil,
              destination.baseAddress!, outShape.map(Int64.init), Int32(outShape.count))
}

/// `permuteCopy` of [R0, R1, I, O] by [3, 2, 0, 1], i.e. dst[o][i][r] = src[r][i][o] with
/// r = (r0, r1) (conv weights from the file layout: R = kh·kw taps). For each input
/// channel i the R source rows are read as R sequential streams over o, and each o gets
/// its R taps as one contiguous run; the runs of i and i + 1 share cache lines, so the
/// O lines written stay cached. Measured (perf, the official 64² model, 23 M values):
/// 20 ms of CPU, where the element-wise copy (inner loop over kw = 3) took about 170 ms.
private func transposeTaps(_ source: UnsafeBufferPointer<Float>, shape: [Int], into destination: UnsafeMutableBufferPointer<Float>) {
    let taps = shape[0] * shape[1], inputs = shape[2], outputs = shape[3]
    let src = source.baseAddress!, dst = destination.baseAddress!
    for i in 0..<inputs {
        for o in 0..<outputs {
            let to = dst + (o * inputs + i) * taps
            var from = src + i * outputs + o
            for r in 0..<taps {
                to[r] = from.pointee
                from += inputs * outputs
            }
        }
    }
}

public func permute(_ x: Tensor, _ order: [Int]) -> Tensor {
    precondition(order.sorted() == Array(0..<x.rank), "permute: \(order) is not a permutation of the \(x.rank) dimensions of \(x.shape)")
    if order == Array(0..<x.rank) { return x }
    let strides = Shape.strides(x.shape)
    let shape = order.map { x.shape[$0] }
    let out = Tensor(uninitializedShape: shape)
    ck_binary(CK_BINARY_COPY_A, x.data, order.map { Int64(strides[$0]) }, nil, nil,
              out.data, shape.map(Int64.init), Int32(shape.count))
    var inverse = [Int](repeating: 0, count: order.count)
    for (i, o) in order.enumerated() { inverse[o] = i }
    return recorded(out, op: "permute", input: x) { g in permute(g, inverse) }
}
