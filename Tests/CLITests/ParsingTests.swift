import ArgumentParser
import XCTest
@testable import stylegan

/// The command line parsed in process (no subprocess): option spellings and values.
final class ParsingTests: XCTestCase {
    func testResumeOptionsAreSeenInBothSpellings() throws {
        let command = try StyleGANCommand.parseAsRoot(["train", "--resume", "runs/x", "--gamma=1", "--r1-interval", "16", "--no-mirror"])
        let train = try XCTUnwrap(command as? Train)
        XCTAssertEqual(train.gamma, 1)
        XCTAssertEqual(train.r1Interval, 16)
        XCTAssertEqual(train.mirror, false)
        XCTAssertNil(train.totalKimg, "not given: the snapshot's value stays")
    }

    func testSeedListsParseOnceWithTheirOwnError() throws {
        let command = try StyleGANCommand.parseAsRoot(["generate", "--seeds", "1-3,42", "--outdir", "o"])
        XCTAssertEqual(try XCTUnwrap(command as? Generate).seeds, [1, 2, 3, 42])
        XCTAssertThrowsError(try StyleGANCommand.parseAsRoot(["generate", "--seeds", "3-1", "--outdir", "o"])) { error in
            XCTAssertTrue(StyleGANCommand.message(for: error).contains("does not parse at '3-1'"), StyleGANCommand.message(for: error))
        }
    }

    func testServeBindsLoopbackByDefaultAndChecksItsNumbers() throws {
        let serve = try XCTUnwrap(try StyleGANCommand.parseAsRoot(["serve"]) as? Serve)
        XCTAssertEqual(serve.host, "127.0.0.1")
        XCTAssertEqual(serve.port, 8080)
        XCTAssertEqual(serve.queue, 8)
        for bad in [["--port", "65536"], ["--port", "-1"], ["--queue", "0"], ["--queue", "2000"]] {
            XCTAssertThrowsError(try StyleGANCommand.parseAsRoot(["serve"] + bad), "\(bad)")
        }
    }
}
