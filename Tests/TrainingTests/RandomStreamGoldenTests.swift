import Foundation
import XCTest
@testable import StyleGANModel
@testable import StyleGANTensor
@testable import StyleGANTraining

/// Pins every random draw of training to committed numbers: reordering the streams or
/// changing a counter constant would silently change every run (and exact resume across
/// versions), which the resume test alone cannot notice (both halves run the same code).
final class RandomStreamGoldenTests: XCTestCase {
    func testDrawsOfTheFirstStepsAreUnchanged() throws {
        let dir = try temporaryDirectory(self)
        try writeSyntheticDataset(dir, count: 12, size: 8)
        let trainer = try Trainer(options: tinyOptions(data: dir), dataset: try ImageDataset(directory: dir, resolution: 8))
        var record: [String] = []
        for step: Int64 in [0, 1, 2, 1000] {
            let (indices, mirror) = trainer.dataDraws(step: step, batch: 4)
            let z = Tensor.randomNormal([1, 3], seed: trainer.latentSeed(.latentG, step: step)).scalars.map { String(format: "%.5f", $0) }
            record.append("step \(step): data \(indices) flip \(mirror.map { $0 ? 1 : 0 }) "
                + "zD \(trainer.latentSeed(.latentD, step: step)) zG \(z) mixD \(trainer.latentSeed(.mixD, step: step) % 100_000) "
                + "crossD \(trainer.crossover(.mixChoiceD, step: step, activeLayers: 4).map(String.init) ?? "-") "
                + "crossG \(trainer.crossover(.mixChoiceG, step: step, activeLayers: 4).map(String.init) ?? "-") "
                + "noiseD \(trainer.noiseSeeds(.noiseD, step: step, batch: 2).map { $0 % 100_000 }) "
                + "noiseG \(trainer.noiseSeeds(.noiseG, step: step, batch: 2).map { $0 % 100_000 })")
        }
        XCTAssertEqual(record, Self.golden)
        XCTAssertEqual(Trainer.samplesPerStep, 4096)
        XCTAssertEqual(Trainer.crossoverCounterOffset, 1_000_000)
    }

    /// Made by this test from the code of November 2026 (seed 5, a 12-image folder).
    static let golden: [String] = [
        "step 0: data [2, 3, 0, 11] flip [1, 0, 1, 1] zD 6317840770260608185 zG [\"0.40574\", \"1.14046\", \"-1.12372\"] mixD 36125 crossD 1 crossG 3 noiseD [78026, 47176] noiseG [77928, 8304]",
        "step 1: data [4, 2, 10, 6] flip [0, 0, 1, 1] zD 10465444409428915456 zG [\"-0.77306\", \"0.93301\", \"0.20962\"] mixD 92288 crossD - crossG 1 noiseD [48076, 28006] noiseG [5644, 71195]",
        "step 2: data [1, 8, 2, 11] flip [0, 1, 0, 1] zD 3500750490823313353 zG [\"-0.51089\", \"0.17480\", \"1.23786\"] mixD 94234 crossD 3 crossG 1 noiseD [4870, 94729] noiseG [29414, 17326]",
        "step 1000: data [6, 10, 6, 0] flip [0, 0, 0, 0] zD 560605404135246884 zG [\"-0.54320\", \"1.61906\", \"-2.28849\"] mixD 3045 crossD 2 crossG 1 noiseD [47493, 54278] noiseG [84703, 64118]",
    ]
}
