/// Shape arithmetic shared by the ops.
public enum Shape {
    /// Number of elements of a shape (1 for a scalar `[]`).
    public static func count(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    /// Contiguous row-major strides.
    static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            s[d] = acc
            acc *= shape[d]
        }
        return s
    }

    /// NumPy broadcasting of two shapes; traps with both shapes in the message when they
    /// do not broadcast.
    static func broadcast(_ a: [Int], _ b: [Int], op: String) -> [Int] {
        let n = max(a.count, b.count)
        var out = [Int](repeating: 1, count: n)
        for i in 0..<n {
            let da = i < n - a.count ? 1 : a[i - (n - a.count)]
            let db = i < n - b.count ? 1 : b[i - (n - b.count)]
            precondition(da == db || da == 1 || db == 1,
                         "\(op): shapes \(a) and \(b) do not broadcast")
            out[i] = da == 1 ? db : da
        }
        return out
    }

    /// Element strides of `shape` read as if broadcast to `target` (0 on broadcast dims).
    static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int64] {
        let own = strides(shape)
        let offset = target.count - shape.count
        return (0..<target.count).map { i in
            guard i >= offset else { return 0 }
            return shape[i - offset] == 1 && target[i] != 1 ? 0 : Int64(own[i - offset])
        }
    }

    /// Normalises a possibly negative axis.
    static func axis(_ axis: Int, rank: Int, op: String) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < rank, "\(op): axis \(axis) out of range for rank \(rank)")
        return a
    }
}
