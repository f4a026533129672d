import Hummingbird

/// The page's files, compiled into the binary: the only files the server ever sends.
enum Assets {
    struct Asset: Sendable {
        let contentType: String
        let body: String

        func response() -> Response {
            Response(status: .ok, headers: [
                .contentType: contentType,
                .cacheControl: "no-cache",
                .contentSecurityPolicy: "default-src 'self'; img-src 'self' blob:; object-src 'none'; base-uri 'none'",
                .init("X-Content-Type-Options")!: "nosniff",
            ], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
    }

    /// URL path → asset.
    static let all: [(String, Asset)] = [
        ("/", Asset(contentType: "text/html; charset=utf-8", body: pageHTML)),
        ("/style.css", Asset(contentType: "text/css; charset=utf-8", body: pageCSS)),
        ("/app.js", Asset(contentType: "text/javascript; charset=utf-8", body: pageJS)),
    ]
}
