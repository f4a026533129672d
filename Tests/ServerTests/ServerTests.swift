import Foundation
import Hummingbird
import HummingbirdTesting
import StyleGANIO
import StyleGANModel
import StyleGANTensor
import StyleGANServer
import XCTest

/// Every endpoint in process (HummingbirdTesting's router framework, no socket), on a
/// tiny 16×16 model.
final class ServerTests: XCTestCase {
    nonisolated(unsafe) static var shared: Explorer?

    private func explorer() throws -> Explorer {
        if let e = Self.shared { return e }
        let e = try TinyModel.explorer()
        Self.shared = e
        return e
    }

    /// Runs `body` against a server on the tiny model with a queue of `capacity`.
    private func withServer(queue: RenderQueue? = nil,
                            _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let server = ExplorerServer(explorer: try explorer(), queue: queue ?? RenderQueue(capacity: 4))
        try await Application(router: server.router()).test(.router, body)
    }

    private static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// PNG bytes that print short in a failed assertion.
    struct PNGBytes: Equatable, CustomStringConvertible {
        let bytes: [UInt8]
        var description: String { "PNG of \(bytes.count) bytes, hash \(bytes.reduce(UInt64(14695981039346656037)) { ($0 ^ UInt64($1)) &* 1099511628211 })" }
    }

    /// GETs `uri` and checks it is a 16×16 PNG; returns its bytes.
    private static func png(_ client: any TestClientProtocol, _ uri: String, file: StaticString = #filePath, line: UInt = #line) async throws -> PNGBytes {
        try await client.execute(uri: uri, method: .get) { response in
            XCTAssertEqual(response.status, .ok, "\(uri): \(response.text)", file: file, line: line)
            XCTAssertEqual(response.headers[.contentType], "image/png", uri, file: file, line: line)
            let bytes = response.bytes
            XCTAssertEqual(Array(bytes.prefix(8)), pngSignature, uri, file: file, line: line)
            let size = try PNG.dimensions(Data(bytes))
            XCTAssertEqual(size.width, 16, uri, file: file, line: line)
            XCTAssertEqual(size.height, 16, uri, file: file, line: line)
            return PNGBytes(bytes: bytes)
        }
    }


    func testInfoDescribesTheModel() async throws {
        try await withServer { client in
            try await client.execute(uri: "/api/info", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(response.headers[.contentType], "application/json; charset=utf-8")
                let info = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: Any])
                XCTAssertEqual(info["resolution"] as? Int, 16)
                XCTAssertEqual(info["layers"] as? Int, 6)
                XCTAssertEqual(info["latentSize"] as? Int, 8)
                let truncation = try XCTUnwrap(info["truncation"] as? [String: Any])
                XCTAssertEqual((truncation["psi"] as? Double).map { Float($0) }, 0.7)
                XCTAssertEqual(truncation["cutoff"] as? Int, 6)   // the default 8, within this model's 6 layers
                XCTAssertEqual(truncation["psiRange"] as? [Double], [-1, 2])
                let file = try XCTUnwrap(info["file"] as? [String: Any])
                XCTAssertEqual(file["name"] as? String, "tiny.safetensors")
                XCTAssertEqual((file["metadata"] as? [String: String])?["note"], "tiny test model")
                XCTAssertEqual((info["styles"] as? [String: [Int]])?["fine"], nil)   // 8-… does not exist in 6 layers
                XCTAssertEqual((info["styles"] as? [String: [Int]])?["coarse"], [0, 3])
            }
        }
    }

    func testImageIsAPNGOfTheSeedAndDeterministic() async throws {
        try await withServer { client in
            let five = try await Self.png(client, "/api/image?seed=5&psi=0.7&cutoff=6&noise=const")
            let again = try await Self.png(client, "/api/image?seed=5&psi=0.7&cutoff=6&noise=const")
            XCTAssertEqual(five, again, "same request, same bytes")
            let defaults = try await Self.png(client, "/api/image?seed=5")
            XCTAssertEqual(five, defaults, "defaults are the model's ψ 0.7 and cutoff")
            let six = try await Self.png(client, "/api/image?seed=6")
            XCTAssertNotEqual(five, six, "different seeds, different images")
            let untruncated = try await Self.png(client, "/api/image?seed=5&psi=1")
            XCTAssertNotEqual(five, untruncated)
            let noisy = try await Self.png(client, "/api/image?seed=5&noise=random")
            XCTAssertNotEqual(five, noisy)
            let top = try await Self.png(client, "/api/image?seed=4294967295&psi=-1&cutoff=0")
            XCTAssertNotEqual(top, five)
        }
    }

    /// Pictures carry an entity tag (model and parameters); a browser revalidating with
    /// the tag it holds gets 304 without a render, any other tag a fresh 200.
    func testRevalidationWithTheTagIsNotModified() async throws {
        let queue = RenderQueue(capacity: 4)
        try await withServer(queue: queue) { client in
            func tag(_ uri: String, ifNoneMatch: String? = nil) async throws -> (HTTPResponse.Status, String?, Int) {
                let headers: HTTPFields = ifNoneMatch.map { [.ifNoneMatch: $0] } ?? [:]
                return try await client.execute(uri: uri, method: .get, headers: headers) { ($0.status, $0.headers[.eTag], $0.body.readableBytes) }
            }
            let (status, five, _) = try await tag("/api/image?seed=5")
            XCTAssertEqual(status, .ok)
            let fiveTag = try XCTUnwrap(five)
            XCTAssertTrue(fiveTag.hasPrefix("\"") && fiveTag.hasSuffix("\""), fiveTag)
            let (_, explicit, _) = try await tag("/api/image?seed=5&psi=0.7&noise=const")
            XCTAssertEqual(explicit, five, "the defaults spelled out are the same picture")
            for other in ["/api/image?seed=6", "/api/image?seed=5&psi=0.5", "/api/image?seed=5&noise=random",
                          "/api/mix?row=5&col=6", "/api/interpolate?from=5&to=6&t=0"] {
                let (_, t, _) = try await tag(other)
                XCTAssertNotEqual(t, five, other)
            }
            let (again, sameTag, bytes) = try await tag("/api/image?seed=5", ifNoneMatch: fiveTag)
            XCTAssertEqual(again, .notModified)
            XCTAssertEqual(sameTag, five)
            XCTAssertEqual(bytes, 0, "no body with 304")
            let (listed, _, _) = try await tag("/api/image?seed=5", ifNoneMatch: "\"x\", \(fiveTag)")
            XCTAssertEqual(listed, .notModified, "a tag among several")
            let (stale, _, staleBytes) = try await tag("/api/image?seed=5", ifNoneMatch: "\"00000000-00000000\"")
            XCTAssertEqual(stale, .ok)
            XCTAssertGreaterThan(staleBytes, 8)
        }
    }

    /// If-None-Match compares weakly (RFC 9110 13.1.2): a tag a proxy weakened (`W/"…"`)
    /// still matches, and `*` matches any picture; whitespace (tabs too) around list
    /// members is ignored, and a long list of other tags does not match.
    func testIfNoneMatchIsAWeakComparisonAndAcceptsTheWildcard() async throws {
        try await withServer { client in
            func get(_ ifNoneMatch: String? = nil) async throws -> (HTTPResponse.Status, String?) {
                let headers: HTTPFields = ifNoneMatch.map { [.ifNoneMatch: $0] } ?? [:]
                return try await client.execute(uri: "/api/image?seed=5", method: .get, headers: headers) { ($0.status, $0.headers[.eTag]) }
            }
            let first = try await get().1
            let tag = try XCTUnwrap(first)
            for header in ["W/\(tag)", "*", "\t\(tag)\t", "\"a\",W/\(tag)", " W/\"a\" ,\t \(tag) "] {
                let (status, echoed) = try await get(header)
                XCTAssertEqual(status, .notModified, header)
                XCTAssertEqual(echoed, tag, header)
            }
            let others = Array(repeating: "W/\"00000000-00000000\"", count: 500).joined(separator: ", ")
            for header in ["W/\"x\"", "w/\(tag)", String(tag.dropFirst().dropLast()), others, "", ",", "W/"] {
                let (status, _) = try await get(header)
                XCTAssertEqual(status, .ok, header)
            }
        }
    }

    /// The model tag covers the config as well as the values: a model whose values are
    /// the same but whose config renders differently (the mapping network's learning-rate
    /// multiplier scales its weights at run time) must not reuse the other's tags.
    func testModelTagCoversTheConfig() throws {
        let base = try explorer()
        var config = base.generator.config
        config.mappingLRMul *= 4
        let g = Generator(config: config, initialize: false)
        g.params.flat.withMutableData { _ = $0.update(fromContentsOf: base.generator.params.flat.scalars) }
        g.dlatentAvg = base.generator.dlatentAvg.copy()
        g.noiseMaps = base.generator.noiseMaps.map { $0.copy() }
        g.lod = base.generator.lod
        let other = Explorer(generator: g, fileName: "tiny.safetensors", metadata: [:])
        let picture = Explorer.Picture.face(seed: 5, truncation: .init(psi: 0.7, cutoff: 6), noise: .const)
        XCTAssertNotEqual(base.render(picture).pixels, other.render(picture).pixels, "the config changes the picture")
        XCTAssertNotEqual(other.modelTag, base.modelTag)
        XCTAssertNotEqual(other.entityTag(of: picture), base.entityTag(of: picture))
        let reconfigured = Explorer(generator: base.generator, fileName: "tiny.safetensors", metadata: [:], renderer: "threads 1")
        XCTAssertNotEqual(reconfigured.modelTag, base.modelTag, "the renderer's settings are part of the tag")
    }

    func testMixTakesTheColumnStyles() async throws {
        try await withServer { client in
            let coarse = try await Self.png(client, "/api/mix?row=1&col=2&styles=0-3&psi=0.7")
            let named = try await Self.png(client, "/api/mix?row=1&col=2&styles=coarse")
            XCTAssertEqual(coarse, named, "coarse is 0-3")
            let all = try await Self.png(client, "/api/mix?row=1&col=2&styles=0-5")
            let column = try await Self.png(client, "/api/image?seed=2")
            XCTAssertEqual(all, column, "every layer from the column is the column's face")
            let none = try await Self.png(client, "/api/mix?row=1&col=1&styles=2-4")
            let row = try await Self.png(client, "/api/image?seed=1")
            XCTAssertEqual(none, row, "mixing a face with itself changes nothing")
            XCTAssertNotEqual(coarse, row)
            XCTAssertNotEqual(coarse, column)
        }
    }

    func testInterpolateWalksBetweenTheSeeds() async throws {
        try await withServer { client in
            let mid = try await Self.png(client, "/api/interpolate?from=1&to=2&t=0.5&mode=slerp&space=z")
            let again = try await Self.png(client, "/api/interpolate?from=1&to=2&t=0.5&mode=slerp&space=z")
            XCTAssertEqual(mid, again)
            let defaults = try await Self.png(client, "/api/interpolate?from=1&to=2")
            XCTAssertEqual(mid, defaults, "defaults: t 0.5, slerp, z")
            let start = try await Self.png(client, "/api/interpolate?from=1&to=2&t=0&mode=lerp&space=z")
            let first = try await Self.png(client, "/api/image?seed=1")
            XCTAssertEqual(start, first, "lerp at t 0 is the first face")
            let startW = try await Self.png(client, "/api/interpolate?from=1&to=2&t=0&mode=lerp&space=w")
            XCTAssertEqual(startW, start, "in w too")
            XCTAssertNotEqual(mid, start)
            let midW = try await Self.png(client, "/api/interpolate?from=1&to=2&t=0.5&mode=lerp&space=w")
            XCTAssertNotEqual(mid, midW)
        }
    }

    func testBadParametersAreRefusedWithOneLineJSON() async throws {
        try await withServer { client in
            let bad = [
                "/api/image", "/api/image?seed=", "/api/image?seed=-1", "/api/image?seed=4294967296", "/api/image?seed=abc",
                "/api/image?seed=1.5", "/api/image?seed=1&psi=2.01", "/api/image?seed=1&psi=-1.5", "/api/image?seed=1&psi=nan",
                "/api/image?seed=1&psi=inf", "/api/image?seed=1&psi=1e99", "/api/image?seed=1&cutoff=7", "/api/image?seed=1&cutoff=-1",
                "/api/image?seed=1&noise=loud", "/api/image?seed=1&colour=red", "/api/image?seed=1&seed=2",
                "/api/mix?row=1", "/api/mix?row=1&col=2&styles=fine", "/api/mix?row=1&col=2&styles=3-1",
                "/api/mix?row=1&col=2&styles=4-6", "/api/mix?row=1&col=2&styles=everything", "/api/mix?row=1&col=x",
                "/api/interpolate?from=1", "/api/interpolate?from=1&to=2&t=1.01", "/api/interpolate?from=1&to=2&t=-0.1",
                "/api/interpolate?from=1&to=2&mode=spline", "/api/interpolate?from=1&to=2&space=v",
            ]
            for uri in bad { try await assertJSONError(client, uri, .badRequest) }
            let message = try await assertJSONError(client, "/api/image?seed=1&psi=3", .badRequest)
            XCTAssertEqual(message, "psi must be a number in [-1.0, 2.0], got '3'")
            let layers = try await assertJSONError(client, "/api/mix?row=1&col=2&styles=4-6", .badRequest)
            XCTAssertTrue(layers.contains("outside this model's 0-5"), layers)
            let long = "/api/image?seed=1&" + String(repeating: "x", count: 2000)
            try await assertJSONError(client, long, .uriTooLong)
        }
    }

    func testUnknownPathsAndTraversalAre404() async throws {
        try await withServer { client in
            for uri in ["/nope", "/api", "/api/", "/api/project", "/index.html", "/../Package.swift", "/%2e%2e/%2e%2e/etc/passwd",
                        "/app.js/../../../etc/passwd", "/..%2f..%2fetc%2fpasswd", "/style.css%00", "//etc/passwd", "/weights/faces64.safetensors"] {
                try await assertJSONError(client, uri, .notFound)
            }
            try await assertJSONError(client, "/api/image?seed=1", .notFound, method: .post)
        }
    }

    func testThePageAndItsAssets() async throws {
        try await withServer { client in
            for (uri, type, marker) in [("/", "text/html; charset=utf-8", #"<input id="seed""#),
                                        ("/app.js", "text/javascript; charset=utf-8", "/api/interpolate"),
                                        ("/style.css", "text/css; charset=utf-8", ".spinner")] {
                try await client.execute(uri: uri, method: .get) { response in
                    XCTAssertEqual(response.status, .ok, uri)
                    XCTAssertEqual(response.headers[.contentType], type, uri)
                    XCTAssertTrue(response.text.contains(marker), uri)
                    XCTAssertNotNil(response.headers[.contentSecurityPolicy], uri)
                }
            }
        }
    }

    func testAFullQueueAnswers503WithRetryAfter() async throws {
        let queue = RenderQueue(capacity: 1)
        let release = DispatchSemaphore(value: 0)
        let blocker = Task { try await queue.run { release.wait() } }   // occupies the only slot
        while queue.pending < 1 { try await Task.sleep(for: .milliseconds(1)) }
        try await withServer(queue: queue) { client in
            try await client.execute(uri: "/api/image?seed=1", method: .get) { response in
                XCTAssertEqual(response.status, .serviceUnavailable)
                XCTAssertEqual(response.headers[.retryAfter], "1")
                XCTAssertTrue(response.text.contains(#""error":"the render queue is full"#), response.text)
            }
            release.signal()
            try await blocker.value
            _ = try await Self.png(client, "/api/image?seed=1")
        }
    }

    func testTheQueueRunsJobsOneAtATimeInOrder() async throws {
        let queue = RenderQueue(capacity: 64)
        final class Log: @unchecked Sendable {   // touched by the render thread only
            var running = 0, maxRunning = 0, order: [Int] = []
        }
        let log = Log()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<32 {
                group.addTask {
                    try await queue.run {
                        log.running += 1; log.maxRunning = max(log.maxRunning, log.running)
                        log.order.append(i); usleep(100)
                        log.running -= 1
                    }
                }
            }
            try await group.waitForAll()
        }
        XCTAssertEqual(log.maxRunning, 1)
        XCTAssertEqual(log.order.count, 32)
        XCTAssertEqual(queue.pending, 0)
    }
}
