import Dispatch
import Foundation
import StyleGANIO

/// Encodes and writes PNGs on a background thread while the caller renders the next
/// batch. At most `depth` images wait at a time (bounded memory); the first write error
/// is rethrown by `submit` or `finish`, and nothing is queued after it.
final class PNGWriter: @unchecked Sendable {
    private let queue = DispatchQueue(label: "stylegan.png-writer")
    private let slots: DispatchSemaphore
    private let lock = NSLock()
    private var failure: Error?

    init(depth: Int = 16) { slots = DispatchSemaphore(value: max(depth, 1)) }

    /// Queues `image` to be written to `path` (blocks while `depth` images wait).
    func submit(_ image: RGBImage, to path: String) throws {
        try check()
        slots.wait()
        queue.async { [self] in
            defer { slots.signal() }
            guard currentFailure == nil else { return }
            do { try PNG.write(image, to: path) } catch { record(error) }
        }
    }

    /// Waits for every queued write; throws the first error.
    func finish() throws {
        queue.sync {}
        try check()
    }

    private var currentFailure: Error? { lock.lock(); defer { lock.unlock() }; return failure }
    private func record(_ error: Error) { lock.lock(); if failure == nil { failure = error }; lock.unlock() }
    private func check() throws { if let error = currentFailure { throw error } }
}
