import ArgumentParser
@preconcurrency import Glibc   // `stdout`, a C global
import StyleGANTensor

@main
struct StyleGANCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stylegan",
        abstract: "StyleGAN (v1) on the CPU: generate faces, walk the latent space, train, inspect weights.",
        subcommands: [Generate.self, Interpolate.self, Mix.self, Train.self, Metrics.self, Inspect.self, Export.self]
    )

    /// Line-buffers stdout before parsing, so a long run's log lines reach a redirected
    /// file (`stylegan train ... > run.out`) as they are printed, not in 4 KiB blocks.
    static func main() {
        setvbuf(stdout, nil, _IOLBF, 0)
        main(nil)
    }
}

/// Options every subcommand shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Threads for kernels and BLAS (default: $STYLEGAN_THREADS, else one per core).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// Applies the thread setting; call first in `run()`.
    func apply() { Threads.configure(threads) }
}
