import CKernels

/// op(a) · op(b) for 2-D tensors, where op transposes when asked.
/// a: [M, K] (or [K, M] with transposeA), b: [K, N] (or [N, K] with transposeB) → [M, N].
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    precondition(a.rank == 2 && b.rank == 2, "matmul: shapes \(a.shape) and \(b.shape) must both be 2-D")
    let (m, ka) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
    let (kb, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
    precondition(ka == kb, "matmul: inner dimensions of \(a.shape)\(transposeA ? "ᵀ" : "") and \(b.shape)\(transposeB ? "ᵀ" : "") differ")
    let out = Tensor(uninitializedShape: [m, n])
    if m * n > 0 {
        if ka == 0 {
            out.data.initialize(repeating: 0, count: m * n)
        } else {
            ck_sgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, Int32(m), Int32(n), Int32(ka), 1,
                     a.data, Int32(a.shape[1]), b.data, Int32(b.shape[1]), 0, out.data, Int32(n))
        }
    }
    return recorded(out, op: "matmul", inputs: [a, b]) { g, needs in
        let ga: Tensor? = !needs[0] ? nil
            : transposeA ? matmul(b, g, transposeA: transposeB, transposeB: true)
            : matmul(g, b, transposeB: !transposeB)
        let gb: Tensor? = !needs[1] ? nil
            : transposeB ? matmul(g, a, transposeA: true, transposeB: transposeA)
            : matmul(a, g, transposeA: !transposeA)
        return [ga, gb]
    }
}
