// swift-tools-version: 6.1
import PackageDescription

// C kernels are always built optimised and with OpenMP (see shared build recipe):
// SwiftPM would otherwise compile C without optimisation in debug builds, and a
// missing -fopenmp builds silently and runs on one thread.
let kernelFlags: [String] = ["-fopenmp", "-O3", "-mavx2", "-mfma", "-ffp-contract=fast"]
// Swift loops over pixels (data preparation, SWD) are ~50x slower unoptimised; keep
// them optimised in debug builds too so the test suite stays fast.
let optimizedSwift: [SwiftSetting] = [.unsafeFlags(["-O"])]

let package = Package(
    name: "StyleGAN",
    // Supported: Linux on x86-64 with AVX2 + FMA (Glibc, OpenMP and OpenBLAS from Debian;
    // the kernels are compiled with -mavx2 -mfma). No other platform is built or tested.
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
        // zlib (a libpng dependency): CRC-32 of weights files' tensor data; .npz zip members.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib"),

        // Open MPI (Debian's libopenmpi-dev) for data-parallel training under mpirun.
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),

        // JPEG decoding (libjpeg-turbo); libjpeg's longjmp error path stays in C.
        .target(name: "CJPEG", cSettings: [.unsafeFlags(["-O2"])], linkerSettings: [.linkedLibrary("jpeg")]),

        // Hot loops: pure functions over float32 NCHW buffers.
        .target(
            name: "CKernels",
            dependencies: ["COpenBLAS"],
            cSettings: [.unsafeFlags(kernelFlags)],
            linkerSettings: [.linkedLibrary("omp5"), .linkedLibrary("openblas")]
        ),

        // Tensor, primitives, autograd (second order), random numbers.
        .target(name: "StyleGANTensor", dependencies: ["CKernels"], swiftSettings: optimizedSwift),
        // PNG, JPEG, safetensors, NumPy .npy/.npz; independent of the tensor layer.
        .target(name: "StyleGANIO", dependencies: ["CLibPNG", "CJPEG", "CZlib"], swiftSettings: optimizedSwift),
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
        .testTarget(name: "IOTests", dependencies: ["StyleGANIO"], resources: [.copy("Fixtures")]),
    ]
)
