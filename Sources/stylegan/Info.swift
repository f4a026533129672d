import ArgumentParser
import Foundation
import StyleGANTensor

/// `stylegan info`: the machine as the kernels see it.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the CPU, its vector features, the BLAS kernel and own-kernel level in use and the thread count.",
        discussion: """
        OpenBLAS picks its GEMM kernel when it loads; on a CPU newer than the installed OpenBLAS
        it falls back to a slow generic one, and stylegan then asks for the best kernel the
        CPU supports (OPENBLAS_CORETYPE, set by you, always wins).
        The own kernels (convolutions, resampling, element-wise) run at the best level the CPU
        has: avx512, avx2 or portable; STYLEGAN_KERNELS=portable|avx2|avx512 asks for a lower
        one (a level the CPU lacks is refused).
        """
    )
    @OptionGroup var global: GlobalOptions

    func run() throws {
        let model = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown"
        let f = BLASKernel.features
        let names: [(BLASKernel.Features, String)] = [(.avx2, "avx2"), (.fma, "fma"), (.avx512f, "avx512f"), (.avx512bw, "avx512bw"),
                                                      (.avx512dq, "avx512dq"), (.avx512vl, "avx512vl"), (.avx512bf16, "avx512bf16")]
        print("cpu: \(model) (\(Threads.cores) cores)")
        print("features: " + (names.filter { f.contains($0.0) }.map(\.1).joined(separator: " ")))
        print("blas: \(BLASKernel.summary)")
        print("best kernel for this cpu: \(BLASKernel.best(for: f) ?? "OpenBLAS's own choice")")
        print("kernels: \(KernelLevel.summary)")
        print("threads: \(Threads.current)")
    }
}
