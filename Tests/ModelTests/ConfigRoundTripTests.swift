import Foundation
import XCTest
@testable import StyleGANModel

/// Every `StyleGANConfig` field survives the JSON round trip through its hand-written
/// decoder, so a field added later cannot be written and silently dropped on load.
final class ConfigRoundTripTests: XCTestCase {
    /// A config in which every field differs from the default (and still validates).
    static func everyFieldChanged() -> StyleGANConfig {
        var c = StyleGANConfig()
        c.resolution = 64; c.numChannels = 1; c.latentSize = 64; c.dlatentSize = 48; c.mappingFmaps = 32
        c.mappingLayers = 3; c.mappingLRMul = 0.02; c.fmapBase = 1024; c.fmapDecay = 0.5; c.fmapMax = 64
        c.mbstdGroupSize = 2; c.truncationPsi = 0.5; c.truncationCutoff = 4; c.dlatentAvgBeta = 0.99; c.styleMixingProb = 0.5
        return c
    }

    func testEveryFieldRoundTrips() throws {
        let changed = Self.everyFieldChanged()
        let defaults = Mirror(reflecting: StyleGANConfig()).children.map { "\($0.value)" }
        let fields = Mirror(reflecting: changed).children
        for (field, original) in zip(fields, defaults) {
            XCTAssertNotEqual("\(field.value)", original, "everyFieldChanged() must change \(field.label ?? "?"), a field this test does not cover yet")
        }
        XCTAssertNoThrow(try changed.validate())
        XCTAssertEqual(try StyleGANConfig.parse(json: changed.jsonString()), changed)
    }

    func testMissingKeysKeepTheirDefaults() throws {
        XCTAssertEqual(try StyleGANConfig.parse(json: "{\"resolution\": 32}").fmapMax, StyleGANConfig().fmapMax)
    }
}
