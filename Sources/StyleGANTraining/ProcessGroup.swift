import StyleGANModel

/// The processes that train one model together, data-parallel: each computes the
/// gradients of its share of every minibatch, and the group averages them. One process
/// alone is `SingleProcess`; `mpirun` gives an MPI group (`StyleGANDistributed`).
///
/// Every process must make the same calls in the same order (they are collective).
public protocol ProcessGroup: AnyObject {
    /// This process's index, 0 ..< size; rank 0 alone writes the run directory.
    var rank: Int { get }
    /// Processes in the group.
    var size: Int { get }
    /// Replaces `values` on every process by their sum over the group.
    func sumInPlace(_ values: UnsafeMutableBufferPointer<Float>)
    /// The element-wise sum of `values` over the group, on every process.
    func sum(_ values: [Double]) -> [Double]
    /// The smallest and largest `value` over the group, on every process.
    func range(_ value: UInt64) -> (min: UInt64, max: UInt64)
    /// Rank 0 gets every process's `values` concatenated in rank order; the others get nil.
    func gather(_ values: [Float]) -> [Float]?
    /// Time spent in this process's collective calls so far, and their payload in bytes
    /// (the buffers reduced, or sent to rank 0).
    var traffic: (seconds: Double, bytes: Int) { get }
}

/// A group of one: every collective is the identity and costs nothing.
public final class SingleProcess: ProcessGroup {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func sumInPlace(_ values: UnsafeMutableBufferPointer<Float>) {}
    public func sum(_ values: [Double]) -> [Double] { values }
    public func range(_ value: UInt64) -> (min: UInt64, max: UInt64) { (value, value) }
    public func gather(_ values: [Float]) -> [Float]? { values }
    public var traffic: (seconds: Double, bytes: Int) { (0, 0) }
}

/// How a group shares a minibatch: process `rank` computes samples rank, rank + size,
/// rank + 2·size, … of the global minibatch. Strided, so that with a per-process
/// minibatch divisible by the minibatch-stddev group size the groups are exactly those
/// of one process computing the whole minibatch (`minibatchStddev` groups samples
/// m apart, m = batch / group).
public struct MinibatchShare: Equatable, Sendable {
    public let rank: Int, size: Int

    public init(rank: Int, size: Int) { self.rank = rank; self.size = size }

    /// Global sample indices of this process's share of a minibatch of `batch`.
    public func samples(ofBatch batch: Int) -> [Int] { Array(stride(from: rank, to: batch, by: size)) }

    /// Throws unless every minibatch in `schedule` splits evenly over the group; returns
    /// a note for each one whose per-process share is smaller than the minibatch-stddev
    /// group (D then sees smaller groups than one process would: results differ).
    public static func check(_ schedule: Schedule, mbstdGroupSize: Int, processes: Int) throws -> [String] {
        var notes: [String] = []
        for b in schedule.minibatches {
            guard b % processes == 0 else {
                throw ConfigError("minibatch \(b) does not split evenly over \(processes) processes: use a minibatch (or --minibatch-table) divisible by \(processes)")
            }
            let share = b / processes, global = min(mbstdGroupSize, b), local = min(mbstdGroupSize, share)
            guard share % local == 0 else {
                throw ConfigError("minibatch \(b) over \(processes) processes gives \(share) samples each, not divisible by the minibatch-stddev group size \(local)")
            }
            if local != global {
                notes.append("minibatch \(b) over \(processes) processes: \(share) samples each, so D's minibatch-stddev groups have \(local) samples instead of \(global) (results differ from one process)")
            }
        }
        return notes
    }
}
