import Foundation
import XCTest

/// Runs tools/browser_test.py: the built `stylegan serve` driven by headless Chromium
/// through Selenium (sliders, seed, pixels, clean SIGINT stop). Skipped when Chromium,
/// chromedriver or Selenium is missing, unless STYLEGAN_REQUIRE_BROWSER=1 (CI), where a
/// missing piece is a failure.
final class BrowserTests: XCTestCase {
    private let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A missing piece: an error (a failed test) when STYLEGAN_REQUIRE_BROWSER=1, else a skip.
    struct Unavailable: Error, CustomStringConvertible {
        let description: String
    }

    private func unavailable(_ reason: String) throws -> Never {
        if ProcessInfo.processInfo.environment["STYLEGAN_REQUIRE_BROWSER"] == "1" {
            throw Unavailable(description: "browser test required (STYLEGAN_REQUIRE_BROWSER=1) but \(reason); run tools/install-deps.sh")
        }
        throw XCTSkip("\(reason) (tools/install-deps.sh installs it)")
    }

    /// The `stylegan` built with these tests (next to the test bundle), else the release one.
    private func binary() throws -> String {
        let bundleDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [bundleDir, bundleDir.deletingLastPathComponent(), Bundle.main.bundleURL.deletingLastPathComponent(),
                          repo.appendingPathComponent(".build/release")].map { $0.appendingPathComponent("stylegan").path }
        guard let found = candidates.first(where: FileManager.default.isExecutableFile(atPath:)) else {
            try unavailable("no built stylegan binary (looked in \(candidates.joined(separator: ", ")))")
        }
        return found
    }

    /// A Python with Selenium: the repo's .venv-browser, else python3 on the PATH.
    private func python() throws -> String {
        for candidate in [repo.appendingPathComponent(".venv-browser/bin/python").path, "/usr/bin/env"] {
            let arguments = candidate == "/usr/bin/env" ? ["python3", "-c", "import selenium"] : ["-c", "import selenium"]
            if FileManager.default.isExecutableFile(atPath: candidate), (try? run(candidate, arguments, timeout: 60))?.status == 0 {
                return candidate
            }
        }
        try unavailable("no Python with selenium")
    }

    private func run(_ executable: String, _ arguments: [String], timeout: TimeInterval) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let timer = DispatchWorkItem { p.terminate() }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        timer.cancel()
        return (p.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    func testThePageInHeadlessChromium() throws {
        for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] where !FileManager.default.isExecutableFile(atPath: tool) {
            try unavailable("\(tool) is missing")
        }
        let stylegan = try binary()
        let python = try python()
        let script = repo.appendingPathComponent("tools/browser_test.py").path
        let weights = repo.appendingPathComponent("weights/faces64.safetensors").path
        let arguments = (python == "/usr/bin/env" ? ["python3"] : []) + [script, stylegan, "--weights", weights]
        let result = try run(python, arguments, timeout: 240)
        print(result.output)
        XCTAssertEqual(result.status, 0, "tools/browser_test.py failed:\n\(result.output)")
        XCTAssertTrue(result.output.contains("browser test: ok"), result.output)
    }
}
