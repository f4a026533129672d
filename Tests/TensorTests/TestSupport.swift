import XCTest
@testable import StyleGANTensor

/// Deterministic random tensors for tests.
struct TestRandom {
    var rng: NumpyRandomState
    init(seed: UInt32) { rng = NumpyRandomState(seed: seed) }

    mutating func normal(_ shape: [Int], scale: Float = 1) -> Tensor { rng.normal(shape, scale: scale) }

    /// Values in ±[lo, hi], away from zero (keeps leaky ReLU kinks out of finite differences).
    mutating func awayFromZero(_ shape: [Int], lo: Float = 0.1, hi: Float = 1) -> Tensor {
        let v = (0..<Shape.count(shape)).map { _ -> Float in
            let m = lo + (hi - lo) * Float(rng.nextDouble())
            return rng.nextDouble() < 0.5 ? -m : m
        }
        return Tensor(shape: shape, values: v)
    }

    /// Values in [lo, hi].
    mutating func uniform(_ shape: [Int], _ lo: Float, _ hi: Float) -> Tensor {
        Tensor(shape: shape, values: (0..<Shape.count(shape)).map { _ in lo + (hi - lo) * Float(rng.nextDouble()) })
    }
}

/// Asserts a gradient check passes, printing the report on failure.
func assertGradients(_ inputs: [Tensor], step: Float = 1e-2, tolerance: Double = 2e-2,
                     atol: Float = 5e-3, rtol: Float = 2e-2,
                     file: StaticString = #filePath, line: UInt = #line,
                     _ f: @escaping ([Tensor]) -> Tensor) {
    let report = GradientCheck.check(inputs, step: step, atol: atol, rtol: rtol, f)
    XCTAssertTrue(report.passes(relativeTolerance: tolerance), "\(report)", file: file, line: line)
}

/// Scalar "loss" that weights every output element differently, so each gradient
/// element is exercised: sum(r ⊙ y) with fixed random r.
func weightedSum(_ y: Tensor, seed: UInt32 = 99) -> Tensor {
    var r = TestRandom(seed: seed)
    return sum(y * r.normal(y.shape))
}

func assertClose(_ a: [Float], _ b: [Float], tolerance: Float = 1e-5, _ message: String = "",
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "count \(message)", file: file, line: line)
    let scale = max(b.map(abs).max() ?? 0, 1e-6)
    let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
    XCTAssertLessThanOrEqual(worst / scale, tolerance, "max diff \(worst) (scale \(scale)) \(message)", file: file, line: line)
}

/// Runs `body` at every kernel level this machine supports (portable, avx2, avx512), then
/// restores the level; a level the CPU lacks is left out (KernelLevelTests reports it).
func atEveryKernelLevel(_ body: () -> Void) {
    for level in KernelLevel.supported {
        KernelLevel.with(level) {
            print("[kernel level \(level)]")
            body()
        }
    }
}
