// swift-tools-version: 6.1
import PackageDescription

// C kernels are always built optimised and with OpenMP (see shared build recipe):
// SwiftPM would otherwise compile C without optimisation in debug builds, and a
// missing -fopenmp builds silently and runs on one thread.
// No instruction-set flags for CKernels itself: it is the portable level and runs on any
// CPU the compiler targets. The hot kernel files are compiled twice more on x86-64, with
// AVX2 + FMA and with AVX-512, and CKernels picks one level at start-up by CPUID
// (Sources/CKernels/ck_levels.h, kernel_level.c).
let kernelFlags: [String] = ["-fopenmp", "-O3", "-ffp-contract=fast"]
// (Decided by the architecture the manifest is evaluated on, i.e. for native builds.)
#if arch(x86_64)
let avx2Flags: [String] = ["-mavx2", "-mfma"]
let avx512Flags: [String] = ["-mavx2", "-mfma", "-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl"]
#else
let avx2Flags: [String] = []     // the level wrappers compile to nothing off x86-64
let avx512Flags: [String] = []
#endif
// Swift loops over pixels (data preparation, SWD) are ~50x slower unoptimised; keep
// them optimised in debug builds too so the test suite stays fast.
let optimizedSwift: [SwiftSetting] = [.unsafeFlags(["-O"])]

let package = Package(
    name: "StyleGAN",
    // Supported: Linux on x86-64 (Glibc, OpenMP and OpenBLAS from Debian). The own kernels
    // run at the best of three levels the CPU has: AVX-512, AVX2 + FMA, or portable C.
    // Built and tested on an AVX2 CPU (AMD EPYC, no AVX-512: those variants are compiled
    // but not run there). Linux on aarch64 should build with the portable kernels
    // (tools/check-aarch64.sh compiles the C for it) but is not built or tested whole.
    products: [
        .executable(name: "stylegan", targets: ["stylegan"]),
        .library(name: "StyleGANTensor", targets: ["StyleGANTensor"]),
        .library(name: "StyleGANIO", targets: ["StyleGANIO"]),
        .library(name: "StyleGANModel", targets: ["StyleGANModel"]),
        .library(name: "StyleGANTraining", targets: ["StyleGANTraining"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        // OpenBLAS (OpenMP build) and libpng from Debian's -dev packages.
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
        .systemLibrary(name: "CLibPNG", path: "Sources/CLibPNG", pkgConfig: "libpng"),
        // zlib (a libpng dependency): joins the parallel parts of a CRC-32; inflates .npz zip members.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib"),
        // libdeflate: the CRC-32 itself, with carry-less multiply (4x zlib's speed).
        .systemLibrary(name: "CDeflate", path: "Sources/CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),

        // Open MPI (Debian's libopenmpi-dev) for data-parallel training under mpirun.
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),

        // JPEG decoding (libjpeg-turbo); libjpeg's longjmp error path stays in C.
        .target(name: "CJPEG", cSettings: [.unsafeFlags(["-O2"])], linkerSettings: [.linkedLibrary("jpeg")]),

        // The dispatched kernel files of CKernels at the AVX2 and AVX-512 levels (one-line
        // wrappers that #include them; empty off x86-64).
        .target(name: "CKernelsAVX2", cSettings: [.headerSearchPath("../CKernels/include"), .unsafeFlags(kernelFlags + avx2Flags)]),
        .target(name: "CKernelsAVX512", cSettings: [.headerSearchPath("../CKernels/include"), .unsafeFlags(kernelFlags + avx512Flags)]),

        // Hot loops: pure functions over float32 NCHW buffers.
        .target(
            name: "CKernels",
            dependencies: ["COpenBLAS", "CKernelsAVX2", "CKernelsAVX512"],
            cSettings: [.unsafeFlags(kernelFlags)],
            linkerSettings: [.linkedLibrary("omp5"), .linkedLibrary("openblas")]
        ),

        // Tensor, primitives, autograd (second order), random numbers.
        .target(name: "StyleGANTensor", dependencies: ["CKernels"], swiftSettings: optimizedSwift),
        // PNG, JPEG, safetensors, NumPy .npy/.npz; independent of the tensor layer.
        .target(name: "StyleGANIO", dependencies: ["CLibPNG", "CJPEG", "CZlib", "CDeflate"], swiftSettings: optimizedSwift),
        // Layers, the mapping / synthesis / discriminator networks, weights files.
        .target(name: "StyleGANModel", dependencies: ["StyleGANTensor", "StyleGANIO"], swiftSettings: optimizedSwift),
        // Dataset, schedule, losses, optimiser, trainer with exact resume, metrics.
        .target(name: "StyleGANTraining", dependencies: ["StyleGANModel", "StyleGANTensor", "StyleGANIO"],
                swiftSettings: optimizedSwift),

        // The MPI process group of `mpirun -np N stylegan train` (the only door to MPI).
        .target(name: "StyleGANDistributed", dependencies: ["CMPI", "StyleGANTraining", "StyleGANTensor"], swiftSettings: optimizedSwift),

        // `stylegan serve`: HTTP routes, the serial render queue and the embedded page.
        .target(
            name: "StyleGANServer",
            dependencies: ["StyleGANModel", "StyleGANTensor", "StyleGANIO", "StyleGANTraining", .product(name: "Hummingbird", package: "hummingbird")],
            swiftSettings: optimizedSwift
        ),

        .executableTarget(
            name: "stylegan",
            dependencies: [
                "StyleGANTensor", "StyleGANIO", "StyleGANModel", "StyleGANTraining", "StyleGANServer", "StyleGANDistributed",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: optimizedSwift
        ),
        .executableTarget(
            name: "stylegan-bench",
            dependencies: ["StyleGANTensor", "StyleGANModel", "StyleGANTraining", "StyleGANIO", "CKernels"],
            path: "Benchmarks",
            exclude: ["compare-pytorch.sh", "projection-psnr.sh", "serve-load.py", "mpi-scaling.sh"]
        ),

        .testTarget(name: "KernelTests", dependencies: ["CKernels", "StyleGANTensor"]),
        .testTarget(name: "TensorTests", dependencies: ["StyleGANTensor", "CKernels"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ModelTests", dependencies: ["StyleGANModel"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TrainingTests", dependencies: ["StyleGANTraining"], resources: [.copy("Fixtures")]),
        .testTarget(name: "CLITests", dependencies: ["StyleGANModel", "stylegan",
                                                     .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(name: "ServerTests", dependencies: [
            "StyleGANServer", "StyleGANModel", "StyleGANIO", "StyleGANTensor", "stylegan",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
        .testTarget(name: "IOTests", dependencies: ["StyleGANIO", "CZlib"], resources: [.copy("Fixtures")]),
    ]
)
