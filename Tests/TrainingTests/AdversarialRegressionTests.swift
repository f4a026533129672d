import Foundation
import XCTest
import StyleGANIO
@testable import StyleGANModel
@testable import StyleGANTensor
@testable import StyleGANTraining

/// Regressions for what an adversarial pass over the hostile-input fixes found.
final class AdversarialRegressionTests: XCTestCase {
    func testResumeRefusesOptionsThatDescribeAnotherModel() throws {
        let dir = try temporaryDirectory(self)
        try writeSyntheticDataset(dir, count: 8, size: 8)
        let dataset = try ImageDataset(directory: dir, resolution: 8)
        let trainer = try Trainer(options: tinyOptions(data: dir), dataset: dataset)
        trainer.trainStep()
        var weights = trainer.snapshot()
        var options = try Trainer.savedOptions(in: weights, path: "s")
        options.config.fmapMax = 4   // hand-edited metadata: the tensors still have the file's shapes
        weights.metadata["training_options"] = Trainer.encode(options)
        assertThrows(try Trainer(resuming: weights, options: options, dataset: dataset, path: "s"), containing: "describe another model")
    }

    func testSWDNeedsSixteenPixels() {
        var o = tinyOptions(data: "/d", resolution: 8)
        o.swdTicks = 1
        assertThrows(try o.validate(), containing: "SWD needs images of at least 16 px")
    }

    func testADatasetThatCannotFitIsRefusedBeforeReading() throws {
        let dir = try temporaryDirectory(self)
        // Zero-byte files: each would still reserve its decoded plane before being skipped.
        let needed = Int(ProcessInfo.processInfo.physicalMemory / 2) / (3 * 1024 * 1024 * 7 / 3) + 10
        for i in 0..<needed { _ = FileManager.default.createFile(atPath: "\(dir)/\(i).png", contents: nil) }
        assertThrows(try ImageDataset(directory: dir, resolution: 1024), containing: "more than half of this machine")
    }

    func testASymlinkToTheDataFolderIsTheFolder() throws {
        let dir = try temporaryDirectory(self)
        try FileManager.default.createDirectory(atPath: "\(dir)/real", withIntermediateDirectories: true)
        try writeSyntheticDataset("\(dir)/real", count: 3, size: 8)
        try FileManager.default.createSymbolicLink(atPath: "\(dir)/link", withDestinationPath: "\(dir)/real")
        XCTAssertEqual(try ImageDataset(directory: "\(dir)/link", resolution: 8).count, 3)
    }

    func testAFIFOInTheRunDirectoryDoesNotBlock() throws {
        let dir = try temporaryDirectory(self)
        try writeSyntheticDataset(dir, count: 8, size: 8)
        var o = tinyOptions(data: dir)
        o.totalKimg = 0.008
        o.tickKimg = 0.008
        try FileManager.default.createDirectory(atPath: "\(dir)/run", withIntermediateDirectories: true)
        XCTAssertEqual(mkfifo("\(dir)/run/log.txt", 0o644), 0)
        let started = Date()
        let run = try TrainingRun(trainer: try Trainer(options: o, dataset: try ImageDataset(directory: dir, resolution: 8)),
                                  directory: "\(dir)/run", log: { _ in })
        try run.run()   // log.txt is skipped (best effort), stats and snapshots are written
        XCTAssertLessThan(Date().timeIntervalSince(started), 30)
        XCTAssertEqual(TrainingRun.snapshots(in: "\(dir)/run").count, 1)
        XCTAssertThrowsError(try TrainingRun.append("x", to: "\(dir)/run/log.txt")) { XCTAssertTrue("\($0)".contains("not a regular file"), "\($0)") }
    }

    func testFloat16ExportRefusesValuesBeyondItsRange() throws {
        var c = StyleGANConfig()
        c.resolution = 8; c.latentSize = 8; c.dlatentSize = 8; c.mappingFmaps = 8; c.mappingLayers = 2; c.fmapBase = 32; c.fmapMax = 8
        let g = Generator(config: c, seed: 1)
        g.params.flat.withMutableData { $0[3] = 1e5 }
        let path = try temporaryDirectory(self) + "/big.safetensors"
        assertThrows(try ModelWeights(config: c, emaGenerator: g).save(to: path, storage: .f16), containing: "beyond float16's range")
        XCTAssertNoThrow(try ModelWeights(config: c, emaGenerator: g).save(to: path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".tmp"))
    }
}
