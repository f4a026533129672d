import XCTest
@testable import StyleGANTraining

final class ScheduleTests: XCTestCase {
    /// The official FFHQ timeline (reference §6.1): 8² stable 0–600, fade 16² 600–1200, …,
    /// full 1024² from 8400 kimg.
    func testOfficialTimeline() {
        var s = Schedule(resolution: 1024)
        s.minibatch = [8: 256, 16: 128, 32: 64]
        s.defaultMinibatch = 32
        XCTAssertEqual(s.lod(atKimg: 0), 7)
        XCTAssertEqual(s.lod(atKimg: 600), 7)
        XCTAssertEqual(s.lod(atKimg: 900), 6.5)
        XCTAssertEqual(s.lod(atKimg: 1200), 6)
        XCTAssertEqual(s.lod(atKimg: 8400), 0)
        XCTAssertEqual(s.lod(atKimg: 20_000), 0)
        XCTAssertEqual(s.resolution(atLod: 6.5), 16, "during a fade the new resolution's settings apply")
        XCTAssertEqual(s.minibatch(atLod: 6.5), 128)
        XCTAssertEqual(s.minibatch(atLod: 0), 32)
        XCTAssertNotEqual(Schedule.phaseKey(6.5), Schedule.phaseKey(6))
        XCTAssertEqual(Schedule.phaseKey(6.5), Schedule.phaseKey(6.2))
    }
}
