import ArgumentParser
@preconcurrency import Glibc   // `stdout`, a C global
import Foundation
import StyleGANTensor

@main
struct StyleGANCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stylegan",
        abstract: "StyleGAN (v1) on the CPU: generate faces, walk the latent space, train, inspect weights.",
        version: "0.6.0",
        subcommands: [Generate.self, Interpolate.self, Mix.self, Project.self, Serve.self, Train.self, Metrics.self, Inspect.self, Export.self, Info.self]
    )

    /// Line-buffers stdout before parsing, so a long run's log lines reach a redirected
    /// file (`stylegan train ... > run.out`) as they are printed, not in 4 KiB blocks.
    /// Every error is one line on stderr (`stylegan: …`) with the parser's exit code (64
    /// for bad arguments, 1 for failures); `--help` and `--version` print as usual.
    static func main() {
        BLASKernel.ensureBestKernel()   // may re-execute this process once, before anything else
        KernelLevel.checkEnvironment(program: "stylegan")   // STYLEGAN_KERNELS names a level this CPU runs
        setvbuf(stdout, nil, _IOLBF, 0)
        do {
            var command = try parseAsRoot()
            try command.run()
            // Output that could not be written (a full disk, /dev/full) is a failure too.
            if fflush(stdout) != 0 || ferror(stdout) != 0 {
                FileHandle.standardError.write(Data("stylegan: cannot write to standard output\n".utf8))
                Foundation.exit(1)
            }
        } catch {
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }   // --help, --version
            let message = self.message(for: error).split(separator: "\n").first.map(String.init) ?? ""
            if !message.isEmpty { FileHandle.standardError.write(Data("stylegan: \(message)\n".utf8)) }
            Foundation.exit(code.rawValue)
        }
    }
}

/// Options every subcommand shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Threads for kernels and BLAS (default: $STYLEGAN_THREADS, else one per core).")
    var threads: Int?

    func validate() throws {
        if let threads, !(1...Threads.maximum).contains(threads) {
            throw ValidationError("--threads must be in 1…\(Threads.maximum), got \(threads)")
        }
        if threads == nil, case .failure(let error) = Threads.environmentCount() { throw ValidationError(error.description) }
        Threads.configure(threads)   // applied as soon as the command line parses: no run() can forget it
    }
}
