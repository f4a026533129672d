import Foundation
import Hummingbird
import StyleGANIO
import StyleGANModel
import StyleGANTraining

/// The HTTP side of `stylegan serve`: the embedded page, `/api/info` and one GET route per
/// picture, each parsing its query into an `Explorer.Picture`, rendering it on the render
/// queue and answering a PNG; and `POST /api/project`, whose job steps share that queue.
public struct ExplorerServer: Sendable {
    public let explorer: Explorer
    public let queue: RenderQueue
    public let projections: ProjectionJobs

    /// Request limits beyond each parameter's own range.
    public enum Limits {
        /// Renders queued or running before new ones are refused with 503.
        public static let defaultQueueCapacity = 8
        /// Largest request body accepted (a photo for `POST /api/project`).
        public static let maxBodyBytes = 16 << 20
    }

    public init(explorer: Explorer, queue: RenderQueue) {
        self.explorer = explorer
        self.queue = queue
        projections = ProjectionJobs(explorer: explorer, queue: queue)
    }

    /// All routes; anything else is a JSON 404.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: JSONErrorMiddleware())
        router.add(middleware: RequestLimitMiddleware())
        for (path, asset) in Assets.all {
            router.get(RouterPath(path)) { _, _ in asset.response() }
        }
        let info = explorer.info
        router.get("/api/info") { _, _ in JSONBody.response(info) }
        let (g, defaults) = (explorer.generator, explorer.info.truncation)
        let layers = g.config.numLayers
        @Sendable func truncation(_ q: Query) throws -> Explorer.Truncation {
            .init(psi: try q.number("psi", in: StyleGANConfig.Limits.truncationPsi, default: defaults.psi),
                  cutoff: try q.integer("cutoff", in: 0...layers, default: defaults.cutoff))
        }
        route(router, "/api/image", ["seed", "psi", "cutoff", "noise"]) { q in
            .face(seed: try q.seed("seed"), truncation: try truncation(q), noise: try q.choice("noise", default: NoiseChoice.const))
        }
        route(router, "/api/mix", ["row", "col", "styles", "psi", "cutoff"]) { q in
            .mix(row: try q.seed("row"), column: try q.seed("col"), layers: try q.styles("styles", numLayers: layers, default: "coarse"),
                 truncation: try truncation(q))
        }
        route(router, "/api/interpolate", ["from", "to", "t", "mode", "space", "psi", "cutoff"]) { q in
            .walk(from: try q.seed("from"), to: try q.seed("to"), t: try q.number("t", in: 0...1, default: 0.5),
                  mode: try q.choice("mode", default: LatentInterpolation.slerp), space: try q.choice("space", default: LatentSpace.z),
                  truncation: try truncation(q))
        }
        let jobs = projections
        router.post("/api/project") { request, context in
            let pairs = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
            let q = try Query(pairs, allowed: ["steps", "space"])
            let steps = try q.integer("steps", in: 1...ProjectionJobs.maxSteps, default: 300)
            let space = try q.choice("space", default: ProjectionSpace.w)
            let body = try await request.body.collect(upTo: Limits.maxBodyBytes)
            guard body.readableBytes > 0 else { throw APIError(.badRequest, "the request body must be a PNG or JPEG photo") }
            let status: ProjectionJobs.Status?
            do { status = try jobs.start(photo: Data(body.readableBytesView), steps: steps, space: space) }
            catch { throw APIError(.badRequest, "\(error)") }
            guard let status else { throw ProjectionJobs.Busy() }
            return JSONBody.response(status, status: .accepted, headers: [.location: "/api/project/\(status.id)"])
        }
        router.get("/api/project/:id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard let status = jobs.status(id) else { throw APIError(.notFound, "no projection job \(id)") }
            return JSONBody.response(status)
        }
        return router
    }

    /// A GET route answering the PNG of the picture `parse` reads from the query.
    private func route(_ router: Router<BasicRequestContext>, _ path: RouterPath, _ parameters: Set<String>,
                       _ parse: @escaping @Sendable (Query) throws -> Explorer.Picture) {
        let (explorer, queue) = (explorer, queue)
        router.get(path) { request, _ in
            let pairs = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
            let picture = try parse(try Query(pairs, allowed: parameters))
            // A picture is a function of the model and its parameters: a browser that has it
            // (a slider dragged back) revalidates with its tag and gets a 304, no render.
            let tag = explorer.entityTag(of: picture)
            let headers: HTTPFields = [.contentType: "image/png", .cacheControl: "no-cache", .eTag: tag]
            if let known = request.headers[.ifNoneMatch], Self.ifNoneMatch(known, matches: tag) {
                return Response(status: .notModified, headers: headers)
            }
            let image = try await queue.run { explorer.render(picture) }
            let png = try PNG.encode(image)   // off the render thread
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: png)))
        }
    }

    /// Whether the If-None-Match field value `field` matches the (strong, quoted) entity
    /// tag `tag`, by the weak comparison RFC 9110 (13.1.2) requires for it: `*`, or a
    /// list member equal to `tag` with or without the weak prefix `W/`.
    static func ifNoneMatch(_ field: String, matches tag: String) -> Bool {
        field.split(separator: ",").contains { member in
            let m = member.trimmingCharacters(in: .whitespaces)   // SP and HTAB around members
            return m == "*" || m == tag || m == "W/" + tag
        }
    }

    /// The application on `host`:`port` (0: any free port); `onRunning` gets the bound
    /// port once the server listens. Stops gracefully on SIGINT and SIGTERM (`runService`).
    public func application(host: String, port: Int,
                            onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(router: router(), configuration: .init(address: .hostname(host, port: port), serverName: "stylegan"),
                    onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) })
    }
}

/// Refuses a query string over `Query.maxLength` (414) and a declared body over
/// `ExplorerServer.Limits.maxBodyBytes` (413) before any route runs.
struct RequestLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let query = request.uri.query, query.utf8.count > Query.maxLength {
            throw APIError(.uriTooLong, "query string longer than \(Query.maxLength) bytes")
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > ExplorerServer.Limits.maxBodyBytes {
            throw APIError(.contentTooLarge, "request body over \(ExplorerServer.Limits.maxBodyBytes) bytes")
        }
        return try await next(request, context)
    }
}
