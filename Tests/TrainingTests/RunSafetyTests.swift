import Foundation
import XCTest
import StyleGANIO
@testable import StyleGANModel
@testable import StyleGANTensor
@testable import StyleGANTraining

/// Run directories are never mixed or corrupted: refused reuse, collision-free snapshot
/// names, verified snapshots with fallback, no stale temporaries or duplicate stats, and
/// no snapshot of non-finite weights.
final class RunSafetyTests: XCTestCase {
    private func run(_ dir: String, options: TrainingOptions, into runDir: String, resume: Bool = false) throws -> TrainingRun {
        let dataset = try ImageDataset(directory: dir, resolution: 8)
        if resume {
            let found = try TrainingRun.latestValidSnapshot(in: runDir)
            var o = try Trainer.savedOptions(in: found.weights, path: found.path)
            o.totalKimg = options.totalKimg
            return try TrainingRun(trainer: try Trainer(resuming: found.weights, options: o, dataset: dataset, path: found.path), directory: runDir, log: { _ in })
        }
        return try TrainingRun(trainer: try Trainer(options: options, dataset: dataset), directory: runDir, log: { _ in })
    }

    private func smallRun(_ test: XCTestCase) throws -> (String, TrainingOptions) {
        let dir = try temporaryDirectory(test)
        try writeSyntheticDataset(dir, count: 8, size: 8)
        var o = tinyOptions(data: dir)
        o.totalKimg = 0.024
        o.tickKimg = 0.008
        o.snapshotTicks = 1
        return (dir, o)
    }

    func testSnapshotNamesAreDistinctAndSortByKimg() throws {
        let (dir, o) = try smallRun(self)
        try run(dir, options: o, into: "\(dir)/run").run()
        let names = TrainingRun.snapshots(in: "\(dir)/run").map { ($0.path as NSString).lastPathComponent }
        XCTAssertEqual(names, ["network-snapshot-000000.008.safetensors", "network-snapshot-000000.016.safetensors",
                               "network-snapshot-000000.024.safetensors"], "ticks below 1 kimg no longer overwrite each other")
        XCTAssertEqual(TrainingRun.snapshotName(kimg: 272.01599999994164), "network-snapshot-000272.016.safetensors")
        // Names of earlier versions (whole kimg) are ordered by value too.
        let mixed = try temporaryDirectory(self)
        for name in ["network-snapshot-000272.safetensors", "network-snapshot-000272.016.safetensors", "network-snapshot-000100.safetensors", "notes.txt"] {
            XCTAssertTrue(FileManager.default.createFile(atPath: "\(mixed)/\(name)", contents: Data()))
        }
        XCTAssertEqual(TrainingRun.snapshots(in: mixed).map(\.kimg), [100, 272, 272.016])
    }

    func testNewRunRefusesADirectoryHoldingARun() throws {
        let (dir, o) = try smallRun(self)
        try run(dir, options: o, into: "\(dir)/run").run()
        let before = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/run").sorted()
        XCTAssertThrowsError(try run(dir, options: o, into: "\(dir)/run")) { error in
            XCTAssertTrue("\(error)".contains("already holds a training run") && "\(error)".contains("--resume"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(dir)/run").sorted(), before, "nothing touched")
    }

    func testResumeFallsBackToTheNewestSnapshotThatVerifies() throws {
        let (dir, o) = try smallRun(self)
        try run(dir, options: o, into: "\(dir)/run").run()
        let all = TrainingRun.snapshots(in: "\(dir)/run").map(\.path)
        // Newest truncated, second newest with one flipped bit: the oldest one is used.
        let newest = try Data(contentsOf: URL(fileURLWithPath: all[2]))
        try newest.prefix(newest.count / 2).write(to: URL(fileURLWithPath: all[2]))
        var second = try Data(contentsOf: URL(fileURLWithPath: all[1]))
        second[second.count - 3] ^= 0x04
        try second.write(to: URL(fileURLWithPath: all[1]))
        let found = try TrainingRun.latestValidSnapshot(in: "\(dir)/run")
        XCTAssertEqual(found.path, all[0])
        XCTAssertEqual(found.skipped.count, 2)
        XCTAssertTrue(found.skipped[0].contains("000000.024") && found.skipped[1].contains("checksum"), "\(found.skipped)")
    }

    func testNonFiniteSnapshotIsSkippedOnResume() throws {
        let (dir, o) = try smallRun(self)
        try run(dir, options: o, into: "\(dir)/run").run()
        let all = TrainingRun.snapshots(in: "\(dir)/run").map(\.path)
        var file = try SafeTensorsFile.read(path: all[2])
        var t = try XCTUnwrap(file.tensors["D/4x4/Dense1/bias"])
        t.values[0] = .infinity
        file.tensors["D/4x4/Dense1/bias"] = t
        try file.write(to: all[2], checksum: true)
        let found = try TrainingRun.latestValidSnapshot(in: "\(dir)/run")
        XCTAssertEqual(found.path, all[1])
        XCTAssertTrue(found.skipped[0].contains("non-finite"), "\(found.skipped)")
    }

    func testResumeRemovesStaleTemporariesAndDuplicateStats() throws {
        let (dir, o) = try smallRun(self)
        try run(dir, options: o, into: "\(dir)/run").run()
        let runDir = "\(dir)/run"
        // As if killed: the newest snapshot never got written (but its stats row did) and a temporary remains.
        try FileManager.default.removeItem(atPath: TrainingRun.snapshots(in: runDir).last!.path)
        XCTAssertTrue(FileManager.default.createFile(atPath: "\(runDir)/.network-snapshot-000000.024.safetensors.tmp-123-456", contents: Data(count: 1000)))
        var longer = o
        longer.totalKimg = 0.032
        let resumed = try run(dir, options: longer, into: runDir, resume: true)
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: runDir).contains { $0.contains(".tmp-") })
        try resumed.run()
        let kimgs = try String(contentsOfFile: "\(runDir)/stats.jsonl", encoding: .utf8).split(separator: "\n").map { line -> Double in
            ((try JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])?["kimg"] as? Double ?? -1
        }
        XCTAssertEqual(kimgs.count, 4, "one row per tick, none repeated: \(kimgs)")
        XCTAssertEqual(kimgs, kimgs.sorted())
    }

    func testNonFiniteTrainingStopsWithoutASnapshot() throws {
        var (dir, o) = try smallRun(self)
        o.tickKimg = 0.04   // no tick (and snapshot) before the 4th bad step
        o.totalKimg = 0.08
        let r = try run(dir, options: o, into: "\(dir)/run")
        r.trainer.discriminator.params.flat.withMutableData { $0[0] = .nan }
        XCTAssertThrowsError(try r.run()) { XCTAssertTrue("\($0)".contains("not finite for 4 steps in a row"), "\($0)") }
        XCTAssertEqual(TrainingRun.snapshots(in: "\(dir)/run").count, 0)
        XCTAssertThrowsError(try r.writeSnapshot()) { XCTAssertTrue("\($0)".contains("no snapshot written"), "\($0)") }
    }

    func testNumericOptionsAreValidated() {
        let base = tinyOptions(data: "/data")
        let cases: [(String, (inout TrainingOptions) -> Void)] = [
            ("total kimg", { $0.totalKimg = .infinity }), ("total kimg", { $0.totalKimg = 1e300 }),
            ("tick kimg", { $0.tickKimg = 1e-300 }), ("stable kimg", { $0.schedule.stableKimg = .infinity }),
            ("learning rate", { $0.schedule.defaultLearningRate = .nan }), ("learning rate", { $0.schedule.defaultLearningRate = -1 }),
            ("learning rate", { $0.schedule.learningRate = [16: .nan] }), ("γ", { $0.r1Gamma = .infinity }),
            ("minibatch", { $0.schedule.defaultMinibatch = 1_000_000_000 }), ("data limit", { $0.dataLimit = -1 }),
            ("latentSize", { $0.config.latentSize = 1_000_000_000 }), ("resolution", { $0.config.resolution = 0 }),
            ("EMA half-life", { $0.emaHalfLifeKimg = .nan }),
        ]
        for (fragment, edit) in cases {
            var o = base
            edit(&o)
            XCTAssertThrowsError(try o.validate(), fragment) { XCTAssertTrue("\($0)".contains(fragment), "\(fragment): \($0)") }
        }
        XCTAssertNoThrow(try base.validate())
    }
}
