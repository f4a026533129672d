import CKernels
import XCTest
@testable import StyleGANTensor

/// The BLAS kernel in use computes correct products, and the start-up choice of kernel
/// follows the CPU's features.
final class BLASTests: XCTestCase {
    /// Row-major C = αAᵀ?Bᵀ? + βC against a naive triple loop, on odd shapes that hit every
    /// edge of the kernel's blocking.
    func testSGEMMAgreesWithANaiveProductOnOddShapes() {
        for (m, n, k) in [(1, 1, 1), (7, 13, 5), (33, 17, 65), (129, 3, 257), (5, 301, 31), (64, 64, 1), (1, 37, 300), (1, 512, 256)] {
            for (ta, tb) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                let a: [Float] = (0..<(m * k)).map { (i: Int) -> Float in Float((i * 37 + 11) % 23) / 23 - 0.5 }
                let b: [Float] = (0..<(k * n)).map { (i: Int) -> Float in Float((i * 53 + 7) % 29) / 29 - 0.5 }
                var c: [Float] = (0..<(m * n)).map { (i: Int) -> Float in Float(i % 5) }
                let (alpha, beta): (Float, Float) = (0.75, 0.5)
                var expected = c
                for i in 0..<m {
                    for j in 0..<n {
                        var s: Double = 0
                        for p in 0..<k {
                            let x: Float = ta == 0 ? a[i * k + p] : a[p * m + i]
                            let y: Float = tb == 0 ? b[p * n + j] : b[j * k + p]
                            s += Double(x) * Double(y)
                        }
                        let old = Double(expected[i * n + j])
                        expected[i * n + j] = Float(Double(alpha) * s + Double(beta) * old)
                    }
                }
                ck_sgemm(Int32(ta), Int32(tb), Int32(m), Int32(n), Int32(k), alpha, a, Int32(ta == 0 ? k : m),
                         b, Int32(tb == 0 ? n : k), beta, &c, Int32(n))
                let worst: Float = zip(c, expected).map { (x: Float, y: Float) -> Float in abs(x - y) }.max()!
                XCTAssertLessThan(worst, 1e-4 * Float(k), "\(m)x\(n)x\(k) trans \(ta)\(tb) with kernel \(BLASKernel.current)")
            }
        }
    }

    /// One row (a dense layer at batch 1) goes through a matrix-vector product: with beta 0
    /// whatever c held before, NaN included, must not leak into the result.
    func testOneRowProductWithBetaZeroIgnoresWhatTheOutputHeld() {
        let (n, k) = (45, 70)
        let a: [Float] = (0..<k).map { Float(($0 * 13 + 5) % 17) / 17 - 0.5 }
        let b: [Float] = (0..<(k * n)).map { Float(($0 * 31 + 3) % 19) / 19 - 0.5 }
        for tb in [0, 1] {
            var c = [Float](repeating: .nan, count: n)
            ck_sgemm(0, Int32(tb), 1, Int32(n), Int32(k), 1, a, Int32(k), b, Int32(tb == 0 ? n : k), 0, &c, Int32(n))
            for j in 0..<n {
                let expected = (0..<k).reduce(0.0) { $0 + Double(a[$1]) * Double(tb == 0 ? b[$1 * n + j] : b[j * k + $1]) }
                XCTAssertEqual(Double(c[j]), expected, accuracy: 1e-4, "column \(j), trans b \(tb)")
            }
        }
    }

    func testKernelChoiceFollowsTheCPU() {
        typealias F = BLASKernel.Features
        let avx2: F = [.avx2, .fma, .intel]
        let avx512: F = [.avx2, .fma, .avx512f, .avx512bw, .avx512dq, .avx512vl, .intel]
        XCTAssertEqual(BLASKernel.upgrade(current: "Prescott", features: avx512, userChoice: nil), "SkylakeX")
        XCTAssertEqual(BLASKernel.upgrade(current: "Prescott", features: avx512.union(.avx512bf16), userChoice: nil), "Cooperlake")
        XCTAssertEqual(BLASKernel.upgrade(current: "Haswell", features: avx512, userChoice: nil), "SkylakeX")
        XCTAssertEqual(BLASKernel.upgrade(current: "Nehalem", features: avx2, userChoice: nil), "Haswell")
        XCTAssertEqual(BLASKernel.upgrade(current: "Prescott", features: [.avx2, .fma, .amd], userChoice: nil), "Zen")
        XCTAssertNil(BLASKernel.upgrade(current: "Zen", features: [.avx2, .fma, .amd], userChoice: nil), "already the best")
        XCTAssertNil(BLASKernel.upgrade(current: "SkylakeX", features: avx512, userChoice: nil))
        XCTAssertNil(BLASKernel.upgrade(current: "Prescott", features: avx512, userChoice: "Prescott"), "the user's choice wins")
        XCTAssertNil(BLASKernel.upgrade(current: "Prescott", features: [], userChoice: nil), "no AVX2: OpenBLAS's choice stands")
        XCTAssertFalse(BLASKernel.current.isEmpty)
    }
}
