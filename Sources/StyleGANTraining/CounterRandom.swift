/// Random numbers that are pure functions of (seed, stream, index): a training step can
/// be replayed exactly after a resume by knowing only its step number.
public struct CounterRandom: Sendable {
    public let seed: UInt64

    public init(seed: UInt64) { self.seed = seed }

    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// A 64-bit value for (stream, index).
    public func bits(_ stream: UInt64, _ index: UInt64) -> UInt64 {
        Self.mix(Self.mix(seed ^ Self.mix(stream)) &+ index)
    }

    /// Uniform in [0, 1).
    public func uniform(_ stream: UInt64, _ index: UInt64) -> Double {
        Double(bits(stream, index) >> 11) / 9_007_199_254_740_992.0
    }

    /// Uniform integer in 0 ..< bound.
    public func int(_ stream: UInt64, _ index: UInt64, below bound: Int) -> Int {
        Int(uniform(stream, index) * Double(bound))
    }

    /// A derived 64-bit seed for (stream, index), e.g. to seed `Tensor.randomNormal`.
    public func derivedSeed(_ stream: UInt64, _ index: UInt64) -> UInt64 { bits(stream, index) }
}
