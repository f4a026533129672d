import CKernels
import XCTest

/// Tiny deterministic generator (SplitMix64) shared by the kernel tests, which do not depend on StyleGANTensor.
struct KernelTestRNG {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    mutating func float() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
    mutating func array(_ count: Int) -> [Float] { (0..<count).map { _ in float() } }
}

/// Workspace with guard values after the reported size, to catch overruns.
struct GuardedWorkspace {
    static let guardCount = 256
    static let sentinel: Float = 12345.678
    var buffer: [Float]
    let size: Int
    init(size: Int) {
        self.size = size
        buffer = [Float](repeating: .nan, count: size + Self.guardCount)
        for i in size..<(size + Self.guardCount) { buffer[i] = Self.sentinel }
    }
    var intact: Bool { buffer[size...].allSatisfy { $0 == Self.sentinel } }
}

func maxRelativeDifference(_ a: [Float], _ ref: [Float]) -> Float {
    precondition(a.count == ref.count)
    var diff: Float = 0, scale: Float = 0
    for i in 0..<a.count {
        let d = abs(a[i] - ref[i])
        diff = d.isNaN ? .infinity : max(diff, d)
        scale = max(scale, abs(ref[i]))
    }
    return scale > 0 ? diff / scale : diff
}

func dot(_ a: [Float], _ b: [Float]) -> Double {
    var s = 0.0
    for i in 0..<a.count { s += Double(a[i]) * Double(b[i]) }
    return s
}

func norm(_ a: [Float]) -> Double { dot(a, a).squareRoot() }

/// Asserts a fast kernel's output matches its naive reference within `tolerance`
/// (max |difference| relative to max |reference|).
func assertMatchesReference(_ a: [Float], _ ref: [Float], tolerance: Float = 1e-4, _ message: String = "",
                            file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertLessThan(maxRelativeDifference(a, ref), tolerance, message, file: file, line: line)
}
