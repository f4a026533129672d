import XCTest
@testable import StyleGANModel

/// Trainable parameter counts must equal the official ones (reference §9.1).
final class ParameterCountTests: XCTestCase {
    private func count(_ specs: [ParameterSpec]) -> Int { specs.reduce(0) { $0 + $1.shape.reduce(1, *) } }

    func testOfficialCountsAt1024() {
        let c = StyleGANConfig.official(resolution: 1024)
        XCTAssertEqual(count(MappingNetwork(config: c).parameterSpecs), 2_101_248)
        XCTAssertEqual(count(SynthesisNetwork(config: c).parameterSpecs), 24_118_379)
        XCTAssertEqual(count(MappingNetwork(config: c).parameterSpecs + SynthesisNetwork(config: c).parameterSpecs), 26_219_627)
        XCTAssertEqual(count(Discriminator.parameterSpecs(config: c)), 23_087_249)
        XCTAssertEqual(c.numLayers, 18)
        XCTAssertEqual(SynthesisNetwork(config: c).noiseShapes.last, [1, 1, 1024, 1024])
    }

    func testOfficialCountsAtSmallerResolutions() {
        for (res, g, d) in [(256, 26_086_229, 23_052_353), (64, 25_137_935, 22_498_049)] {
            let c = StyleGANConfig.official(resolution: res)
            XCTAssertEqual(count(MappingNetwork(config: c).parameterSpecs + SynthesisNetwork(config: c).parameterSpecs), g, "G at \(res)")
            XCTAssertEqual(count(Discriminator.parameterSpecs(config: c)), d, "D at \(res)")
        }
    }

    func testFileShapesFollowTheOfficialLayout() {
        let specs = SynthesisNetwork(config: .official(resolution: 1024)).parameterSpecs
        let byName = Dictionary(uniqueKeysWithValues: specs.map { ($0.name, $0.fileShape) })
        XCTAssertEqual(byName["synthesis/4x4/Const/const"], [1, 512, 4, 4])
        XCTAssertEqual(byName["synthesis/1024x1024/Conv0_up/weight"], [3, 3, 32, 16])
        XCTAssertEqual(byName["synthesis/ToRGB_lod0/weight"], [1, 1, 16, 3])
        XCTAssertEqual(byName["synthesis/8x8/Conv1/StyleMod/weight"], [512, 1024])
        let d = Dictionary(uniqueKeysWithValues: Discriminator.parameterSpecs(config: .official(resolution: 1024)).map { ($0.name, $0.fileShape) })
        XCTAssertEqual(d["1024x1024/Conv1_down/weight"], [3, 3, 16, 32])
        XCTAssertEqual(d["4x4/Conv/weight"], [3, 3, 513, 512])
        XCTAssertEqual(d["4x4/Dense0/weight"], [8192, 512])
        XCTAssertEqual(d["FromRGB_lod0/weight"], [1, 1, 3, 16])
    }
}
