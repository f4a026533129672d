import ArgumentParser
import StyleGANTensor

@main
struct StyleGANCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stylegan",
        abstract: "StyleGAN (v1) on the CPU: generate faces, walk the latent space, train, inspect weights.",
        subcommands: [Generate.self, Interpolate.self, Mix.self, Train.self, Metrics.self, Inspect.self, Export.self]
    )
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
