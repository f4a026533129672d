import XCTest
@testable import StyleGANModel
@testable import StyleGANTensor
@testable import StyleGANTraining

/// Resuming from a snapshot continues exactly: k steps straight equal k/2 steps, a
/// snapshot written to disk and read back, and k/2 more — mid-fade included.
final class ResumeTests: XCTestCase {
    func testResumeIsExact() throws {
        let dir = try temporaryDirectory(self)
        try writeSyntheticDataset(dir, count: 12, size: 8)
        let options = tinyOptions(data: dir)
        let dataset = try ImageDataset(directory: dir, resolution: 8)
        let k = 10   // 40 images = 0.04 kimg: crosses stable 4px → fade to 8px (mid-fade at the halfway point)

        let straight = try Trainer(options: options, dataset: dataset)
        for _ in 0..<k { straight.trainStep() }

        let first = try Trainer(options: options, dataset: dataset)
        for _ in 0..<(k / 2) { first.trainStep() }
        let lod = options.schedule.lod(atKimg: first.kimg)
        XCTAssertTrue(lod > 0 && lod < 1, "the snapshot should fall mid-fade, lod \(lod)")
        let path = "\(dir)/snap.safetensors"
        try first.snapshot().save(to: path)
        let weights = try ModelWeights.load(path: path)
        XCTAssertEqual(weights.emaGenerator?.lod, first.emaGenerator.lod)
        XCTAssertTrue(first.emaGenerator.lod > 0 && first.emaGenerator.lod <= 1, "Gs carries the training lod, not the default 0")
        XCTAssertNil(weights.extraTensors["train/adam_g_m"], "β1 = 0: the first moment is not stored")
        XCTAssertNotNil(weights.extraTensors["train/adam_g_v"])
        let resumed = try Trainer(resuming: weights, options: try Trainer.savedOptions(in: weights, path: path), dataset: dataset, path: path)
        XCTAssertEqual(resumed.kimg, first.kimg)
        XCTAssertEqual(resumed.changesAtResume, [], "nothing changed, nothing recorded")
        for _ in 0..<(k - k / 2) { resumed.trainStep() }

        XCTAssertEqual(resumed.step, straight.step)
        XCTAssertEqual(resumed.generator.params.flat.scalars, straight.generator.params.flat.scalars, "G")
        XCTAssertEqual(resumed.discriminator.params.flat.scalars, straight.discriminator.params.flat.scalars, "D")
        XCTAssertEqual(resumed.emaGenerator.params.flat.scalars, straight.emaGenerator.params.flat.scalars, "Gs")
        XCTAssertEqual(resumed.generator.dlatentAvg.scalars, straight.generator.dlatentAvg.scalars, "w̄")
        // Training changed the weights at all (otherwise equality would be trivial).
        let fresh = try Trainer(options: options, dataset: dataset)
        XCTAssertNotEqual(fresh.generator.params.flat.scalars, straight.generator.params.flat.scalars)
    }

    func testRunDirectoryHasLogsGridsPlotAndSnapshots() throws {
        let dir = try temporaryDirectory(self)
        try writeSyntheticDataset(dir, count: 8, size: 8)
        var options = tinyOptions(data: dir)
        options.totalKimg = 0.08
        options.snapshotTicks = 1
        let run = try TrainingRun(trainer: try Trainer(options: options, dataset: try ImageDataset(directory: dir, resolution: 8)),
                                  directory: "\(dir)/run", log: { _ in })
        try run.run()
        let files = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/run")
        XCTAssertTrue(files.contains("log.txt") && files.contains("stats.jsonl") && files.contains("plot.png"), "\(files)")
        XCTAssertTrue(files.contains { $0.hasPrefix("fakes") && $0.hasSuffix(".png") })
        XCTAssertTrue(files.contains { $0.hasPrefix("network-snapshot-") })
        XCTAssertFalse(files.contains { $0.contains(".tmp") || $0.hasPrefix(".") }, "no temporary files left: \(files)")
        let stats = try String(contentsOfFile: "\(dir)/run/stats.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(stats.count, 2)
        XCTAssertTrue(stats[0].contains("\"lossG\"") && stats[0].contains("\"img_per_s\""))
    }
}

/// The EMA generator follows ema ← G + β(ema − G) with β = 0.5^(batch / half-life), and
/// copies w̄ from G.
final class EMATests: XCTestCase {
    func testEMAFollowsTheGeneratorTrajectory() throws {
        let dir = try temporaryDirectory(self)
        try writeSyntheticDataset(dir, count: 8, size: 8)
        let options = tinyOptions(data: dir)
        let trainer = try Trainer(options: options, dataset: try ImageDataset(directory: dir, resolution: 8))
        var expected = trainer.emaGenerator.params.flat.scalars
        XCTAssertEqual(expected, trainer.generator.params.flat.scalars, "G_ema starts as a copy of G")
        for _ in 0..<3 {
            let s = trainer.trainStep()
            let beta = Float(pow(0.5, Double(s.minibatch) / (options.emaHalfLifeKimg * 1000)))
            let g = trainer.generator.params.flat.scalars
            expected = zip(expected, g).map { e, p in p + beta * (e - p) }
        }
        let actual = trainer.emaGenerator.params.flat.scalars
        for (a, e) in zip(actual, expected) { XCTAssertEqual(a, e, accuracy: 1e-5 * max(1, abs(e))) }
        XCTAssertNotEqual(actual, trainer.generator.params.flat.scalars)
        XCTAssertEqual(trainer.emaGenerator.dlatentAvg.scalars, trainer.generator.dlatentAvg.scalars)
    }
}
