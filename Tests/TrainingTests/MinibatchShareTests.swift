import StyleGANModel
import StyleGANTensor
import StyleGANTraining
import XCTest

final class MinibatchShareTests: XCTestCase {
    func testProcessesTakeStridedSamplesThatCoverTheMinibatchOnce() {
        let shares = (0..<4).map { MinibatchShare(rank: $0, size: 4).samples(ofBatch: 16) }
        XCTAssertEqual(shares[1], [1, 5, 9, 13])
        XCTAssertEqual(shares.flatMap { $0 }.sorted(), Array(0..<16))
        XCTAssertEqual(MinibatchShare(rank: 0, size: 1).samples(ofBatch: 8), Array(0..<8))
    }

    /// minibatchStddev groups samples m = batch / group apart; a strided share of a
    /// divisible size keeps exactly those groups.
    func testStridedSharesKeepTheMinibatchStddevGroups() {
        let batch = 16, group = 4, processes = 2
        func groups(_ samples: [Int]) -> Set<Set<Int>> {
            let m = samples.count / group
            return Set((0..<m).map { j in Set((0..<group).map { samples[j + $0 * m] }) })
        }
        let whole = groups(Array(0..<batch))
        let split = (0..<processes).map { groups(MinibatchShare(rank: $0, size: processes).samples(ofBatch: batch)) }
        XCTAssertEqual(split[0].union(split[1]), whole)
    }

    func testMinibatchesMustSplitEvenly() throws {
        var s = Schedule(resolution: 64)
        s.defaultMinibatch = 16
        s.minibatch = [8: 32, 16: 24]
        XCTAssertEqual(try MinibatchShare.check(s, mbstdGroupSize: 4, processes: 2), [])
        XCTAssertThrowsError(try MinibatchShare.check(s, mbstdGroupSize: 4, processes: 5)) {
            XCTAssertTrue("\($0)".contains("minibatch 16 does not split evenly over 5 processes"), "\($0)")
        }
        // 24 over 4 gives 6 each: not divisible by the group of 4.
        XCTAssertThrowsError(try MinibatchShare.check(s, mbstdGroupSize: 4, processes: 4)) {
            XCTAssertTrue("\($0)".contains("gives 6 samples each"), "\($0)")
        }
        // 16 over 8 gives 2 each: groups of 2 instead of 4, noted.
        s.minibatch = [:]
        let notes = try MinibatchShare.check(s, mbstdGroupSize: 4, processes: 8)
        XCTAssertEqual(notes.count, 1)
        XCTAssertTrue(notes[0].contains("groups have 2 samples instead of 4"), notes[0])
    }

    /// Each process renders a contiguous part of the SWD sample; in rank order the parts
    /// are the one-process sample, value for value.
    func testSWDSamplePartsMakeTheWholeSample() {
        let g = Generator(config: tinyOptions(data: "").config, seed: 1)
        let whole = SlicedWasserstein.sample(g, count: 70, seed: 9, batch: 16)
        let parts = (0..<3).compactMap { SlicedWasserstein.sample(g, count: 70, seed: 9, batch: 16, share: MinibatchShare(rank: $0, size: 3)) }
        XCTAssertEqual(parts.map { $0.shape[0] }, [16, 32, 22])
        XCTAssertEqual(parts.flatMap { $0.scalars }, whole.scalars)
        XCTAssertNil(SlicedWasserstein.sample(g, count: 20, seed: 9, batch: 16, share: MinibatchShare(rank: 0, size: 3)))
    }
}
