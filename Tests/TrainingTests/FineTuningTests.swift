import Foundation
import XCTest
@testable import StyleGANModel
@testable import StyleGANTensor
@testable import StyleGANTraining

/// Fine-tuning starts a new run from a trained model's weights at the model's lod.
final class FineTuningTests: XCTestCase {
    func testStartsFromTheFileAndTrainsAtItsLod() throws {
        let dir = try temporaryDirectory(self)
        try writeSyntheticDataset(dir, count: 8, size: 8)
        let dataset = try ImageDataset(directory: dir, resolution: 8)
        var base = tinyOptions(data: dir)
        base.totalKimg = 0.1
        let pretrained = try Trainer(options: base, dataset: dataset)
        while pretrained.kimg < 0.05 { pretrained.trainStep() }   // past the fade: lod 0
        XCTAssertEqual(pretrained.emaGenerator.lod, 0)
        let path = "\(dir)/model.safetensors"
        try pretrained.snapshot().save(to: path)
        let file = try ModelWeights.load(path: path)

        var options = base
        options.seed = 77
        options.schedule = options.schedule.startingAt(lod: 0)
        XCTAssertEqual(options.schedule.lod(atKimg: 0), 0, "a finished model trains at full resolution from the start")
        let tuned = try Trainer(options: options, dataset: dataset, initialWeights: file, path: path)
        XCTAssertEqual(tuned.generator.params.flat.scalars, pretrained.generator.params.flat.scalars)
        XCTAssertEqual(tuned.emaGenerator.params.flat.scalars, pretrained.emaGenerator.params.flat.scalars)
        XCTAssertEqual(tuned.discriminator.params.flat.scalars, pretrained.discriminator.params.flat.scalars)
        XCTAssertEqual(tuned.generator.dlatentAvg.scalars, pretrained.generator.dlatentAvg.scalars)
        XCTAssertEqual(tuned.initNotes, [])
        XCTAssertEqual(tuned.step, 0)
        let s = tuned.trainStep()
        XCTAssertEqual(s.resolution, 8)
        XCTAssertEqual(s.lod, 0)
        XCTAssertNotEqual(tuned.generator.params.flat.scalars, pretrained.generator.params.flat.scalars, "training moved G")

        // An export (Gs only): G copies Gs and D starts fresh, which the notes say.
        let exported = ModelWeights(config: file.config, emaGenerator: try XCTUnwrap(file.emaGenerator))
        let fromExport = try Trainer(options: options, dataset: dataset, initialWeights: exported, path: "export.safetensors")
        XCTAssertEqual(fromExport.generator.params.flat.scalars, pretrained.emaGenerator.params.flat.scalars)
        XCTAssertEqual(fromExport.initNotes.count, 2)
        XCTAssertTrue(fromExport.initNotes.contains { $0.hasPrefix("D starts fresh") }, "\(fromExport.initNotes)")
        XCTAssertNotEqual(fromExport.discriminator.params.flat.scalars, pretrained.discriminator.params.flat.scalars)
    }

    func testArchitectureMismatchNamesTheField() throws {
        let dir = try temporaryDirectory(self)
        try writeSyntheticDataset(dir, count: 4, size: 8)
        let options = tinyOptions(data: dir)
        var other = options.config
        other.fmapMax = 4
        other.styleMixingProb = 0.5   // a training setting, not architecture
        let weights = ModelWeights(config: other, emaGenerator: Generator(config: other, seed: 1))
        assertThrows(try Trainer(options: options, dataset: try ImageDataset(directory: dir, resolution: 8), initialWeights: weights, path: "m.safetensors"),
                     containing: "fmapMax 8 vs 4")
        XCTAssertEqual(options.config.architectureDifferences(from: other), ["fmapMax 8 vs 4"])
    }

    func testScheduleStartsAtTheFilesLod() {
        let s = Schedule(resolution: 64)
        XCTAssertEqual(s.startingAt(lod: 0).startResolution, 64)
        XCTAssertEqual(s.startingAt(lod: 1).startResolution, 32)
        XCTAssertEqual(s.startingAt(lod: 1.4).startResolution, 32)
        XCTAssertEqual(s.startingAt(lod: 2).lod(atKimg: 0), 2)
    }
}
