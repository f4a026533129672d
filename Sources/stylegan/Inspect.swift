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
        global.apply()
        let st = try SafeTensorsFile.read(path: file)
        print("file: \(file)")
        if st.metadata["format"] == ModelWeights.format {
            let model = try ModelWeights.load(path: file)
            let c = model.config
            print("model: StyleGAN \(c.resolution)x\(c.resolution), z \(c.latentSize), w \(c.dlatentSize), mapping \(c.mappingLayers)x\(c.mappingFmaps), fmap base \(c.fmapBase) max \(c.fmapMax), \(c.numLayers) synthesis layers")
            print("channels per resolution: " + (2...c.log2Resolution).map { "\(1 << $0):\(c.channels(atLog2Resolution: $0))" }.joined(separator: " "))
            for (name, g) in [("G", model.generator), ("Gs", model.emaGenerator)] {
                guard let g else { continue }
                let mappingCount = g.mapping.parameterSpecs.reduce(0) { $0 + $1.shape.reduce(1, *) }
                print("\(name): \(g.params.count) trainable parameters (mapping \(mappingCount), synthesis \(g.params.count - mappingCount))")
            }
            if let d = model.discriminator { print("D: \(d.count) trainable parameters") }
            if let g = model.samplingGenerator {
                let r = Progression(lod: g.lod, log2Resolution: c.log2Resolution).resolution
                print("lod: \(g.lod)" + (g.lod == 0 ? " (full detail)" : " (mid-training: renders at \(r)x\(r), pixel-replicated to full size)"))
            }
            for key in model.metadata.keys.sorted() {
                let value = model.metadata[key]!
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
            print("  \(name.padding(toLength: width, withPad: " ", startingAt: 0))  \(t.dtype.rawValue)  \(shape)")
        }
        print("elements: \(total)")
    }
}
