import Foundation
import Hummingbird

/// A request the API refuses: an HTTP status and a one-line message, answered as
/// `{"error": "..."}`.
public struct APIError: Error, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let description: String

    public init(_ status: HTTPResponse.Status = .badRequest, _ message: String) {
        self.status = status
        description = message
    }

    /// The JSON error response (newlines in the message become spaces: one line).
    func response(headers: HTTPFields = [:]) -> Response {
        let line = description.split(whereSeparator: \.isNewline).joined(separator: " ")
        return JSONBody.response(["error": line], status: status, headers: headers)
    }
}

/// Turns every error a route or the router throws into a JSON error response: `APIError`
/// as given, a full render queue or a busy projector as 503 with `Retry-After`, the router's own errors (404
/// for an unknown path) with their status, anything else as 500.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response()
        } catch let error as RenderQueue.Full {
            return APIError(.serviceUnavailable, error.description).response(headers: [.retryAfter: "1"])
        } catch let error as ProjectionJobs.Busy {
            return APIError(.serviceUnavailable, error.description).response(headers: [.retryAfter: "5"])
        } catch let error as HTTPError {
            let message = error.body ?? (error.status == .notFound ? "no such path: \(request.uri.path)" : error.status.reasonPhrase)
            return APIError(error.status, message).response()
        } catch {
            context.logger.error("\(request.uri.path): \(error)")
            return APIError(.internalServerError, "internal error: \(error)").response()
        }
    }
}

/// JSON bodies: compact, keys sorted, slashes unescaped.
enum JSONBody {
    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":"response could not be encoded"}"#.utf8)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data + [0x0A])))
    }
}
