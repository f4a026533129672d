import Foundation

/// Runs jobs one at a time, in arrival order, on a single dedicated thread: the tensor
/// layer is not thread-safe, and a long render must not occupy a thread of Swift's
/// cooperative pool (on which the HTTP handlers run). At most `capacity` jobs are
/// queued or running; a job submitted beyond that is refused at once with `Full`
/// (answered 503 with `Retry-After`), so a burst cannot build an unbounded backlog.
///
/// Any endpoint that renders goes through `run`; a longer job (a projection) would use
/// the same queue, or a second one with its own bound.
public final class RenderQueue: @unchecked Sendable {   // state guarded by `condition`
    /// The queue already holds `capacity` jobs.
    public struct Full: Error, CustomStringConvertible {
        public let capacity: Int
        public var description: String { "the render queue is full (\(capacity) requests waiting); retry shortly" }
    }

    /// Jobs queued or running at once (at least 1).
    public let capacity: Int
    private let condition = NSCondition()
    /// Each job renders and returns the resumption of its caller, called once the job no
    /// longer counts as pending (so a caller that resumes sees its slot free).
    private var jobs: [() -> () -> Void] = []
    private var running = false

    /// `setUp` runs once on the render thread before any job: per-thread settings such as
    /// the kernels' thread count (`Threads.configure`), which OpenMP keeps per thread.
    public init(capacity: Int, setUp: @escaping @Sendable () -> Void = {}) {
        precondition(capacity >= 1, "RenderQueue: capacity \(capacity) < 1")
        self.capacity = capacity
        let thread = Thread { setUp(); self.work() }   // holds the queue: it lives as long as the process
        thread.name = "stylegan-render"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Jobs queued or running now.
    public var pending: Int {
        condition.lock(); defer { condition.unlock() }
        return jobs.count + (running ? 1 : 0)
    }

    /// Runs `job` on the render thread after the jobs before it and returns its result;
    /// throws `Full` without running it when `capacity` jobs are already pending.
    public func run<T: Sendable>(_ job: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            condition.lock()
            defer { condition.unlock() }
            guard jobs.count + (running ? 1 : 0) < capacity else {
                continuation.resume(throwing: Full(capacity: capacity))
                return
            }
            jobs.append {
                let result = Result { try job() }
                return { continuation.resume(with: result) }
            }
            condition.signal()
        }
    }

    /// The render thread: takes jobs in order, forever.
    private func work() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            running = true
            condition.unlock()
            let resume = job()
            condition.lock()
            running = false
            condition.unlock()
            resume()
        }
    }
}
