import Foundation
import StyleGANIO
import StyleGANModel
import StyleGANTensor
import StyleGANTraining

/// Projection jobs of `POST /api/project`: one runs at a time, each optimisation step a
/// separate item on the render queue (so faces keep rendering while a photo projects);
/// the last `keep` jobs stay readable by id.
public final class ProjectionJobs: @unchecked Sendable {   // state guarded by `lock`
    /// What `GET /api/project/ID` answers.
    public struct Status: Codable, Sendable {
        public var id: String
        public var steps: Int
        public var step = 0
        /// PSNR (dB) of the latest step's image against the target.
        public var psnr: Double?
        public var done = false
        public var error: String?
        /// When done: the projected image as a `data:image/png;base64,…` URL.
        public var image: String?
        /// When done: the projected w, [layers][w_dim].
        public var w: [[Float]]?
    }

    /// A job was asked for while another runs (503 with `Retry-After`).
    public struct Busy: Error, CustomStringConvertible {
        public var description: String { "a projection is already running; retry when it is done" }
    }

    /// Most steps a job may ask for.
    public static let maxSteps = 5000
    private let lock = NSLock()
    private var jobs: [String: Status] = [:]
    private var order: [String] = []
    private var running = false
    private let keep: Int
    private let explorer: Explorer
    private let queue: RenderQueue

    public init(explorer: Explorer, queue: RenderQueue, keep: Int = 16) {
        self.explorer = explorer
        self.queue = queue
        self.keep = keep
    }

    /// The job's status, nil for an unknown id.
    public func status(_ id: String) -> Status? { lock.withLock { jobs[id] } }

    /// Starts projecting `photo` (PNG or JPEG bytes); nil when a job is already running.
    public func start(photo: Data, steps: Int, space: ProjectionSpace) throws -> Status? {
        let g = explorer.generator
        let image = ImageResize.trainingImage(try ImageFile.decode(photo, name: "the request body"), resolution: g.config.resolution)
        let id = UUID().uuidString.lowercased()
        let status = Status(id: id, steps: steps)
        let admitted: Bool = lock.withLock {
            guard !running else { return false }
            running = true
            jobs[id] = status
            order.append(id)
            if order.count > keep { jobs[order.removeFirst()] = nil }
            return true
        }
        guard admitted else { return nil }
        Task { await self.run(id: id, target: image, steps: steps, space: space) }
        return status
    }

    private func run(id: String, target: RGBImage, steps: Int, space: ProjectionSpace) async {
        final class Box: @unchecked Sendable { var projector: Projector? }   // touched on the render thread only
        let box = Box()
        let g = explorer.generator
        do {
            let options = { var o = ProjectionOptions(); o.steps = steps; o.space = space; return o }()
            try await onQueue {
                box.projector = Projector(generator: g, discriminator: nil, target: ImageConversion.tensor(from: [target]), options: options)
            }
            for k in 0..<steps {
                let psnr = try await onQueue { box.projector!.step().psnr }
                update(id) { $0.step = k + 1; $0.psnr = psnr }
            }
            let (png, w) = try await onQueue { () -> (Data, [[Float]]) in
                let p = box.projector!
                let d = g.config.dlatentSize
                let values = p.dlatents.scalars
                return (try PNG.encode(ImageConversion.images(from: p.image())[0]),
                        stride(from: 0, to: values.count, by: d).map { Array(values[$0..<($0 + d)]) })
            }
            update(id) { $0.image = "data:image/png;base64," + png.base64EncodedString(); $0.w = w; $0.done = true }
        } catch {
            update(id) { $0.error = "\(error)"; $0.done = true }
        }
        lock.withLock { running = false }
    }

    /// Runs `work` on the render queue, waiting for room when it is full (a job's steps
    /// yield to visitors' renders rather than failing).
    private func onQueue<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        while true {
            do { return try await queue.run(work) } catch is RenderQueue.Full { try await Task.sleep(nanoseconds: 50_000_000) }
        }
    }

    private func update(_ id: String, _ change: (inout Status) -> Void) {
        lock.withLock { if var s = jobs[id] { change(&s); jobs[id] = s } }
    }
}
