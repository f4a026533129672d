import ArgumentParser
import Foundation
import StyleGANIO
import StyleGANModel

/// `stylegan inspect FILE`: what a weights (or any safetensors) file holds.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the config, parameter counts and tensor table of a safetensors file.",
        discussion: """
        Examples:
          stylegan inspect weights/faces64.safetensors
          stylegan inspect runs/faces64/network-snapshot-000120.safetensors --filter mapping
        """
    )

    @Argument(help: "A .safetensors file.") var file: String
    @Option(help: "Only list tensors whose name contains this text.") var filter: String?
    @Flag(help: "Omit the tensor table.") var summary = false
    @OptionGroup var global: GlobalOptions

    func run() throws {
        let st = try SafeTensorsFile.read(path: file)
        print("file: \(file)")
        if st.metadata["format"] == ModelWeights.format {
            // Described from the config and the file alone (no network is built, nothing is
            // checked beyond the config), so a damaged model can still be looked at.
            guard let json = st.metadata["config"] else { throw CLIError("\(file): metadata has no 'config'") }
            let c: StyleGANConfig
            do { c = try StyleGANConfig.parse(json: json) } catch { throw CLIError("\(file): \(error)") }
            print("model: StyleGAN \(c.resolution)x\(c.resolution), z \(c.latentSize), w \(c.dlatentSize), mapping \(c.mappingLayers)x\(c.mappingFmaps), fmap base \(c.fmapBase) max \(c.fmapMax), \(c.numLayers) synthesis layers")
            print("channels per resolution: " + (2...c.log2Resolution).map { "\(1 << $0):\(c.channels(atLog2Resolution: $0))" }.joined(separator: " "))
            let mappingCount = MappingNetwork(config: c).parameterSpecs.reduce(0) { $0 + $1.shape.reduce(1, *) }
            let generatorCount = Generator.parameterCount(config: c)
            for name in ["G", "Gs"] where st.tensorNames.contains(where: { $0.hasPrefix("\(name)/") }) {
                print("\(name): \(generatorCount) trainable parameters (mapping \(mappingCount), synthesis \(generatorCount - mappingCount))")
            }
            if st.tensorNames.contains(where: { $0.hasPrefix("D/") }) {
                print("D: \(Discriminator.parameterCount(config: c)) trainable parameters")
            }
            let text = st.metadata["lod"] ?? "0"
            if let lod = Float(text), lod >= 0, lod <= Float(c.log2Resolution - 2) {
                let r = Progression(lod: lod, log2Resolution: c.log2Resolution).resolution
                print("lod: \(lod)" + (lod == 0 ? " (full detail)" : " (mid-training: renders at \(r)x\(r), pixel-replicated to full size)"))
            } else {
                print("lod: '\(text)' (invalid: not a number in [0, \(c.log2Resolution - 2)]; the file cannot be loaded)")
            }
            for key in st.metadata.keys.sorted() where !["format", "config", "lod"].contains(key) {
                let value = st.metadata[key]!
                print("\(key): \(value.count > 300 ? String(value.prefix(300)) + "…" : value)")
            }
        } else if !st.metadata.isEmpty {
            print("metadata:")
            for key in st.metadata.keys.sorted() {
                let value = st.metadata[key]!
                print("  \(key): \(value.count > 200 ? String(value.prefix(200)) + "…" : value)")
            }
        }
        guard !summary else { return }
        let names = st.tensorNames.filter { filter == nil || $0.contains(filter!) }
        let width = max(6, names.map(\.count).max() ?? 0)
        print("tensors: \(names.count)")
        var total = 0
        for name in names {
            let t = st.tensors[name]!
            total += t.elementCount
            let shape = "[" + t.shape.map(String.init).joined(separator: ", ") + "]"
            let nonFinite = t.values.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
            print("  \(name.padding(toLength: width, withPad: " ", startingAt: 0))  \(t.dtype.rawValue)  \(shape)" + (nonFinite > 0 ? "  (\(nonFinite) non-finite)" : ""))
        }
        print("elements: \(total)")
    }
}
