import CKernels
import XCTest

/// The instruction-set levels of the own kernels: which ones this machine runs, switching
/// between them, and the AVX-512 variants where the CPU has AVX-512. (Every naive-twin test
/// in ConvKernelTests, ConvPlanTests, WinogradTests and UpfirdnKernelTests, and the
/// element-wise kernel tests in TensorTests, run once per level this machine supports.)
final class KernelLevelTests: XCTestCase {
    private let all = [CK_KERNELS_PORTABLE, CK_KERNELS_AVX2, CK_KERNELS_AVX512]

    func testNamesAndNesting() {
        XCTAssertEqual(all.map { String(cString: ck_kernels_level_name($0)) }, ["portable", "avx2", "avx512"])
        XCTAssertEqual(ck_kernels_supported(CK_KERNELS_PORTABLE), 1, "portable runs everywhere")
        let best = ck_kernels_best()
        for level in all {
            XCTAssertEqual(ck_kernels_supported(level) != 0, level.rawValue <= best.rawValue, "levels nest")
        }
        let f = ck_cpu_features()
        let hasAVX2 = f & UInt32(CK_CPU_AVX2 | CK_CPU_FMA) == UInt32(CK_CPU_AVX2 | CK_CPU_FMA)
        let avx512 = UInt32(CK_CPU_AVX512F | CK_CPU_AVX512BW | CK_CPU_AVX512DQ | CK_CPU_AVX512VL)
        #if arch(x86_64)
        XCTAssertEqual(ck_kernels_supported(CK_KERNELS_AVX2) != 0, hasAVX2)
        XCTAssertEqual(ck_kernels_supported(CK_KERNELS_AVX512) != 0, hasAVX2 && f & avx512 == avx512)
        #else
        XCTAssertEqual(best, CK_KERNELS_PORTABLE)
        #endif
        print("kernel levels: best \(String(cString: ck_kernels_level_name(best))), running \(String(cString: ck_kernels_level_name(ck_kernels_level())))")
    }

    func testSwitchingRefusesWhatTheCPULacks() {
        let previous = ck_kernels_level()
        defer { ck_kernels_set_level(previous) }
        for level in all {
            let ok = ck_kernels_set_level(level) == 0
            XCTAssertEqual(ok, ck_kernels_supported(level) != 0)
            if ok { XCTAssertEqual(ck_kernels_level(), level) }
        }
        XCTAssertEqual(ck_kernels_set_level(ck_kernel_level(rawValue: 7)), -1)
    }

    /// The workspace a conv asks for fits every level, so a level switch between sizing and
    /// running cannot overrun it.
    func testWorkspaceDoesNotDependOnTheLevel() {
        var s = ck_conv_shape(n: 2, cin: 10, h: 70, w: 70, cout: 12, kh: 3, kw: 3, stride: 1, pad: 1, ho: 0, wo: 0)
        ck_conv_shape_finish(&s)
        let previous = ck_kernels_level()
        defer { ck_kernels_set_level(previous) }
        var sizes = Set<Int>()
        forEachKernelLevel { _ in sizes.insert(Int(ck_conv2d_workspace_floats(&s))) }
        XCTAssertEqual(sizes.count, 1)
    }

    /// Each supported level on a few shapes of every conv path; avx512 is a skipped test on a
    /// CPU without AVX-512 (the other test classes only print the note).
    private func runConvPaths(at level: ck_kernel_level) {
        let previous = ck_kernels_level()
        defer { ck_kernels_set_level(previous) }
        XCTAssertEqual(ck_kernels_set_level(level), 0)
        var rng = KernelTestRNG(seed: 99)
        for t in [(1, 16, 64, 80, 16, 3, 1, 1), (2, 10, 70, 70, 12, 3, 1, 1), (2, 5, 100, 97, 7, 3, 2, 1),
                  (2, 40, 4, 4, 13, 3, 1, 1), (3, 40, 9, 9, 33, 3, 1, 1), (2, 64, 16, 16, 64, 3, 1, 1)] {
            var s = ck_conv_shape(n: Int32(t.0), cin: Int32(t.1), h: Int32(t.2), w: Int32(t.3), cout: Int32(t.4),
                                  kh: Int32(t.5), kw: Int32(t.5), stride: Int32(t.6), pad: Int32(t.7), ho: 0, wo: 0)
            ck_conv_shape_finish(&s)
            checkConvAgainstNaive(s, rng: &rng, label: "\(String(cString: ck_kernels_level_name(level))) \(t)", levels: false)
        }
    }

    func testPortableLevel() { runConvPaths(at: CK_KERNELS_PORTABLE) }

    func testAVX2Level() throws {
        guard ck_kernels_supported(CK_KERNELS_AVX2) != 0 else { throw XCTSkip("skipped: no AVX2 + FMA on this CPU") }
        runConvPaths(at: CK_KERNELS_AVX2)
    }

    func testAVX512Level() throws {
        guard ck_kernels_supported(CK_KERNELS_AVX512) != 0 else { throw XCTSkip("skipped: no AVX-512 on this CPU") }
        runConvPaths(at: CK_KERNELS_AVX512)
    }
}
