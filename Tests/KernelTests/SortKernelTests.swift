import CKernels
import XCTest

/// `ck_sort_rows` (radix sort used by SWD) agrees with Swift's sort on each row, with
/// signed zeros, infinities, subnormals, duplicates and wide magnitudes.
final class SortKernelTests: XCTestCase {
    func testRowsMatchSwiftSort() {
        var rng = KernelTestRNG(seed: 11)
        let specials: [Float] = [0, -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
                                 .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1, 1, -1, -1]
        for (rows, n) in [(1, 1), (3, 7), (5, 2049), (64, 3000)] {
            var x = (0..<(rows * n)).map { i -> Float in
                switch rng.int(0...9) {
                case 0: return specials[rng.int(0...(specials.count - 1))]
                case 1: return rng.float() * 1e30
                case 2: return rng.float() * 1e-30
                default: return rng.float()
                }
            }
            let expected = (0..<rows).flatMap { r in x[(r * n)..<((r + 1) * n)].sorted() }
            XCTAssertEqual(x.withUnsafeMutableBufferPointer { ck_sort_rows($0.baseAddress!, Int64(rows), Int64(n)) }, 0)
            for (i, (a, b)) in zip(x, expected).enumerated() where a != b {
                XCTFail("rows \(rows) n \(n): element \(i) is \(a), expected \(b)")
                break
            }
            // -0 sorts before +0 (IEEE total order on the keys).
            for r in 0..<rows {
                let row = x[(r * n)..<((r + 1) * n)]
                for (a, b) in zip(row, row.dropFirst()) where a == 0 && b == 0 {
                    XCTAssertFalse(a.sign == .plus && b.sign == .minus, "+0 before -0 in row \(r)")
                }
            }
        }
    }
}
