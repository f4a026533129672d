import Foundation
import Hummingbird
import HummingbirdTesting
import StyleGANIO
import StyleGANModel
import StyleGANServer
import XCTest

/// `POST /api/project` and `GET /api/project/ID` in process on the tiny model.
final class ProjectionJobTests: XCTestCase {
    private func withServer(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let server = ExplorerServer(explorer: try TinyModel.explorer(), queue: RenderQueue(capacity: 4))
        try await Application(router: server.router()).test(.router, body)
    }

    private static func photo() throws -> ByteBuffer {
        var image = RGBImage(width: 20, height: 16)
        for p in 0..<image.pixels.count { image.pixels[p] = Float(p % 53) / 52 }
        return ByteBuffer(bytes: try PNG.encode(image))
    }

    func testAJobProjectsThePhotoAndReturnsImageAndLatent() async throws {
        try await withServer { client in
            let id = try await client.execute(uri: "/api/project?steps=8&space=wplus", method: .post, body: try Self.photo()) { response in
                XCTAssertEqual(response.status, .accepted, response.text)
                let status = try JSONDecoder().decode(ProjectionJobs.Status.self, from: Data(response.text.utf8))
                XCTAssertEqual(response.headers[.location], "/api/project/\(status.id)")
                XCTAssertEqual(status.steps, 8)
                return status.id
            }
            // A second job while the first runs is refused, or the first has already finished.
            var status: ProjectionJobs.Status?
            for _ in 0..<600 {
                status = try await client.execute(uri: "/api/project/\(id)", method: .get) { response in
                    XCTAssertEqual(response.status, .ok)
                    return try JSONDecoder().decode(ProjectionJobs.Status.self, from: Data(response.text.utf8))
                }
                if status?.done == true { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let done = try XCTUnwrap(status)
            XCTAssertTrue(done.done, "the job finished")
            XCTAssertNil(done.error)
            XCTAssertEqual(done.step, 8)
            XCTAssertNotNil(done.psnr)
            XCTAssertEqual(done.w?.count, 6, "one w per layer")
            XCTAssertEqual(done.w?.first?.count, 8)
            let png = try XCTUnwrap(done.image.flatMap { Data(base64Encoded: String($0.dropFirst("data:image/png;base64,".count))) })
            let image = try PNG.decode(png, name: "projection")
            XCTAssertEqual([image.width, image.height], [16, 16])
        }
    }

    func testBadProjectionRequests() async throws {
        try await withServer { client in
            for (uri, body, status) in [("/api/project", ByteBuffer(), HTTPResponse.Status.badRequest),
                                        ("/api/project", ByteBuffer(string: "not an image"), .badRequest),
                                        ("/api/project?steps=0", try Self.photo(), .badRequest),
                                        ("/api/project?steps=5001", try Self.photo(), .badRequest),
                                        ("/api/project?space=z", try Self.photo(), .badRequest),
                                        ("/api/project/unknown-id", ByteBuffer(), .notFound)] {
                try await assertJSONError(client, uri, status, method: uri.hasPrefix("/api/project/") ? .get : .post, body: body)
            }
        }
    }
}
