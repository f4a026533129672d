import Foundation
import XCTest
@testable import StyleGANModel
@testable import StyleGANTensor
@testable import StyleGANTraining

/// Lazy R1 and the settings that may change when a run resumes.
final class LazyR1Tests: XCTestCase {
    /// With interval N the penalty is computed on steps 0, N, 2N, … with weight γ·N.
    func testPenaltyEveryNthStepWithScaledWeight() throws {
        let dir = try temporaryDirectory(self)
        try writeSyntheticDataset(dir, count: 8, size: 8)
        var options = tinyOptions(data: dir)
        options.r1Gamma = 2
        options.r1Interval = 4
        options.r1OfficialScaling = false
        let trainer = try Trainer(options: options, dataset: try ImageDataset(directory: dir, resolution: 8))
        var computed: [Bool] = []
        for _ in 0..<9 {
            XCTAssertEqual(trainer.r1Weight(atLod: 0), trainer.step % 4 == 0 ? 8 : nil)
            computed.append(trainer.trainStep().r1 != nil)
        }
        XCTAssertEqual(computed, [true, false, false, false, true, false, false, false, true])
    }

    /// The first step of a lazy run (γ, N) is exactly a v1 step with γ·N.
    func testRegularisedStepEqualsV1StepWithScaledGamma() throws {
        let dir = try temporaryDirectory(self)
        try writeSyntheticDataset(dir, count: 8, size: 8)
        let dataset = try ImageDataset(directory: dir, resolution: 8)
        var lazy = tinyOptions(data: dir)
        lazy.r1Gamma = 2.5
        lazy.r1Interval = 4
        var v1 = tinyOptions(data: dir)
        v1.r1Gamma = 10
        let a = try Trainer(options: lazy, dataset: dataset), b = try Trainer(options: v1, dataset: dataset)
        let sa = a.trainStep(), sb = b.trainStep()
        XCTAssertEqual(sa.r1, sb.r1)
        XCTAssertEqual(a.discriminator.params.flat.scalars, b.discriminator.params.flat.scalars)
        // ... and differs from a step with γ alone (the weight matters).
        var plain = lazy
        plain.r1Interval = 1
        let c = try Trainer(options: plain, dataset: dataset)
        c.trainStep()
        XCTAssertNotEqual(c.discriminator.params.flat.scalars, b.discriminator.params.flat.scalars)
    }

    func testIntervalIsValidated() throws {
        var o = tinyOptions(data: "/nonexistent")
        o.r1Interval = 0
        assertThrows(try o.validate(), containing: "R1 interval")
    }
}

final class ResumeChangeTests: XCTestCase {
    /// Trains `steps`, writes a snapshot and returns it with its path.
    private func snapshot(_ dir: String, options: TrainingOptions, steps: Int) throws -> (ModelWeights, String) {
        let trainer = try Trainer(options: options, dataset: try ImageDataset(directory: dir, resolution: 8))
        for _ in 0..<steps { trainer.trainStep() }
        let path = "\(dir)/snap.safetensors"
        try trainer.snapshot().save(to: path)
        return (try ModelWeights.load(path: path), path)
    }

    /// A changed setting takes effect, is reported, and is kept in the snapshot's history
    /// across later resumes.
    func testChangedSettingsAreRecordedInTheHistory() throws {
        let dir = try temporaryDirectory(self)
        try writeSyntheticDataset(dir, count: 8, size: 8)
        let dataset = try ImageDataset(directory: dir, resolution: 8)
        let (weights, path) = try snapshot(dir, options: tinyOptions(data: dir), steps: 3)
        var options = try Trainer.savedOptions(in: weights, path: path)
        XCTAssertEqual(options.history, [])
        options.r1Gamma = 1
        options.r1Interval = 16
        options.schedule.learningRate = [8: 0.002, 4: 0.003]
        let resumed = try Trainer(resuming: weights, options: options, dataset: dataset, path: path)
        let kimg = resumed.kimg
        XCTAssertEqual(resumed.changesAtResume.map(\.description), [
            "gamma 10.0 -> 1.0 at kimg \(String(format: "%.1f", kimg))",
            "r1-interval 1 -> 16 at kimg \(String(format: "%.1f", kimg))",
            "lr-table none -> 4:0.003,8:0.002 at kimg \(String(format: "%.1f", kimg))",
        ])
        XCTAssertEqual(resumed.options.r1Interval, 16)
        XCTAssertEqual(resumed.options.history.count, 3)
        resumed.trainStep()
        try resumed.snapshot().save(to: path)

        // A second resume keeps the history and adds its own change.
        let again = try ModelWeights.load(path: path)
        var next = try Trainer.savedOptions(in: again, path: path)
        XCTAssertEqual(next.history.map(\.setting), ["gamma", "r1-interval", "lr-table"])
        next.mirror = false
        let third = try Trainer(resuming: again, options: next, dataset: dataset, path: path)
        XCTAssertEqual(third.options.history.map(\.setting), ["gamma", "r1-interval", "lr-table", "mirror"])
        XCTAssertEqual(third.options.history.last?.kimg, resumed.kimg)
    }

    /// The run log names each change.
    func testTheRunLogNamesTheChange() throws {
        let dir = try temporaryDirectory(self)
        try writeSyntheticDataset(dir, count: 8, size: 8)
        let (weights, path) = try snapshot(dir, options: tinyOptions(data: dir), steps: 2)
        var options = try Trainer.savedOptions(in: weights, path: path)
        options.emaHalfLifeKimg = 0.1
        options.totalKimg = 0.012
        let trainer = try Trainer(resuming: weights, options: options, dataset: try ImageDataset(directory: dir, resolution: 8), path: path)
        var lines: [String] = []
        try TrainingRun(trainer: trainer, directory: "\(dir)/run", log: { lines.append($0) }).run()
        XCTAssertTrue(lines.contains { $0.hasPrefix("resume changes ema-kimg 0.05 -> 0.1 at kimg 0.0") }, "\(lines)")
    }

    /// Fixed settings cannot change on resume; the error names what was changed.
    func testFixedSettingsCannotChange() throws {
        let dir = try temporaryDirectory(self)
        try writeSyntheticDataset(dir, count: 8, size: 8)
        let dataset = try ImageDataset(directory: dir, resolution: 8)
        let (weights, path) = try snapshot(dir, options: tinyOptions(data: dir), steps: 1)
        let saved = try Trainer.savedOptions(in: weights, path: path)
        var model = saved
        model.config.fmapMax = 4
        assertThrows(try Trainer(resuming: weights, options: model, dataset: dataset, path: path), containing: "cannot change the model")
        var seed = saved
        seed.seed = 99
        assertThrows(try Trainer(resuming: weights, options: seed, dataset: dataset, path: path), containing: "cannot change the seed")
        var phases = saved
        phases.schedule.fadeKimg = 1
        assertThrows(try Trainer(resuming: weights, options: phases, dataset: dataset, path: path), containing: "cannot change the schedule")
    }

    /// A hand-edited snapshot's counters and options are checked before training resumes.
    func testEditedSnapshotStateIsRefused() throws {
        let dir = try temporaryDirectory(self)
        try writeSyntheticDataset(dir, count: 8, size: 8)
        let dataset = try ImageDataset(directory: dir, resolution: 8)
        let (weights, path) = try snapshot(dir, options: tinyOptions(data: dir), steps: 1)
        var edited = weights
        edited.metadata["training_state"] = weights.metadata["training_state"]!.replacingOccurrences(of: "\"kimg\":", with: "\"kimg\":1e300,\"was\":")
        assertThrows(try Trainer(resuming: edited, options: try Trainer.savedOptions(in: edited, path: path), dataset: dataset, path: path),
                     containing: "training_state: kimg must be in")
        var tiny = try Trainer.savedOptions(in: weights, path: path)
        tiny.tickKimg = 1e-300
        assertThrows(try tiny.validate(), containing: "tick kimg")
    }

    /// Options written before `r1Interval` and `history` existed decode with their defaults.
    func testOlderSnapshotOptionsDecode() throws {
        let options = tinyOptions(data: "/data")
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(Trainer.encode(options).utf8)) as? [String: Any])
        object["r1Interval"] = nil
        object["history"] = nil
        let old = try JSONSerialization.data(withJSONObject: object)
        let decoded = try JSONDecoder().decode(TrainingOptions.self, from: old)
        XCTAssertEqual(decoded, options)
        XCTAssertEqual(decoded.r1Interval, 1)
    }
}
