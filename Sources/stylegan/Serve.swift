import ArgumentParser
import Foundation
import Hummingbird
import StyleGANModel
import StyleGANServer
import StyleGANTensor

/// `stylegan serve`: the latent-space explorer in the browser.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a page for exploring the model's latent space (faces, ψ, style mixing, walks) and its HTTP API.",
        discussion: """
        Examples:
          stylegan serve                       # http://127.0.0.1:8080/ with the bundled model
          stylegan serve --weights ffhq.safetensors --port 9000
        API (PNG answers): /api/info, /api/image?seed=5&psi=0.7&cutoff=8&noise=const,
        /api/mix?row=1&col=2&styles=coarse, /api/interpolate?from=1&to=2&t=0.5&mode=slerp&space=z.
        Renders run one at a time; beyond --queue waiting renders the server answers 503.
        Ctrl-C or SIGTERM stop it after the requests in progress.
        """
    )

    @OptionGroup var model: WeightsOptions
    @Option(help: "Address to listen on (127.0.0.1: this machine only).") var host = "127.0.0.1"
    @Option(help: "Port (0: any free port, printed at start).") var port = 8080
    @Option(help: "Renders queued or running before requests are refused with 503.") var queue = ExplorerServer.Limits.defaultQueueCapacity
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0…65535, got \(port)") }
        guard (1...1024).contains(queue) else { throw ValidationError("--queue must be in 1…1024, got \(queue)") }
    }

    func run() throws {
        let (g, metadata, path) = try model.loadSampling()
        g.freeze()   // every request renders with the same weights
        let threads = Threads.current   // as --threads set it on this thread; the render thread needs its own copy
        let renderer = "\(StyleGANCommand.configuration.version) threads \(threads) \(KernelLevel.current) \(BLASKernel.current)"
        let explorer = Explorer(generator: g, fileName: URL(fileURLWithPath: path).lastPathComponent, metadata: metadata, renderer: renderer)
        let server = ExplorerServer(explorer: explorer, queue: RenderQueue(capacity: queue) { _ = Threads.configure(threads) })
        let r = g.config.resolution
        let app = server.application(host: host, port: port) { bound in
            print("serving \(r)x\(r) model \(path) at http://\(host.contains(":") ? "[\(host)]" : host):\(bound)/ (Ctrl-C stops)")
        }
        // The command line is synchronous: the server runs on the concurrency pool while
        // this thread waits. Its SIGINT/SIGTERM handling (swift-service-lifecycle) is its own;
        // `serve` installs no handler of its own (only `train` does).
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do { try await app.runService() } catch { outcome.error = error }
            done.signal()
        }
        done.wait()
        if let error = outcome.error { throw CLIError("server: \(error)") }
        print("server stopped")
    }

    private final class Outcome: @unchecked Sendable {   // written by the task before `done` is signalled
        var error: Error?
    }
}
