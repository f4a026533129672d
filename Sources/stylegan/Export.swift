import ArgumentParser
import Foundation
import StyleGANIO
import StyleGANModel

/// `stylegan export`: the sampling generator of a snapshot, alone.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write only the EMA generator (Gs) of a weights file or training snapshot, optionally as float16.",
        discussion: """
        Examples:
          stylegan export runs/faces64/network-snapshot-000600.safetensors weights/faces64.safetensors --fp16
        Training metadata is dropped unless --keep-metadata is given.
        """
    )

    @Argument(help: "Source weights file or snapshot.") var input: String
    @Argument(help: "Output .safetensors file ('-' for standard output).") var output: String
    @Flag(help: "Store tensors as float16 (half the size; loaded back as float32).") var fp16 = false
    @Flag(help: "Keep the source's extra metadata (training options and state).") var keepMetadata = false
    @Option(help: "Extra metadata entries KEY=VALUE (repeatable).") var meta: [String] = []
    @OptionGroup var global: GlobalOptions

    func run() throws {
        try AtomicFile.checkDestination(output)
        let source = try ModelWeights.load(path: input)
        guard let g = source.samplingGenerator else { throw CLIError("\(input): holds no generator") }
        var out = ModelWeights(config: source.config, emaGenerator: g)
        if keepMetadata { out.metadata = source.metadata }
        for item in meta {
            guard let eq = item.firstIndex(of: "=") else { throw ValidationError("--meta '\(item)' is not KEY=VALUE") }
            out.metadata[String(item[..<eq])] = String(item[item.index(after: eq)...])
        }
        try out.save(to: output, storage: fp16 ? .f16 : .f32)
        let described = "Gs, \(g.params.count) parameters, \(fp16 ? "float16" : "float32")"
        if output == "-" { return status("wrote standard output: \(described)", outputToStdout: true) }
        let written = URL(fileURLWithPath: output).resolvingSymlinksInPath().path   // a link's target was written
        let size = (try? FileManager.default.attributesOfItem(atPath: written)[.size] as? Int) ?? 0
        print("wrote \(output): \(described), \(size / 1024) KiB")
    }
}
