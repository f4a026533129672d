import ArgumentParser
import Foundation
import StyleGANIO

/// `stylegan inspect FILE`: what a safetensors file holds.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the metadata and tensor table of a safetensors file.",
        discussion: """
        Examples:
          stylegan inspect weights/faces64.safetensors
          stylegan inspect run/network-snapshot-000120.safetensors --filter mapping
        """
    )

    @Argument(help: "A .safetensors file.")
    var file: String

    @Option(help: "Only list tensors whose name contains this text.")
    var filter: String?

    @OptionGroup var global: GlobalOptions

    func run() throws {
        global.apply()
        let st = try SafeTensorsFile.read(path: file)
        print("file: \(file)")
        if !st.metadata.isEmpty {
            print("metadata:")
            for key in st.metadata.keys.sorted() {
                let value = st.metadata[key]!
                print("  \(key): \(value.count > 200 ? String(value.prefix(200)) + "…" : value)")
            }
        }
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
