// swift-tools-version:6.0
//
// The DSL that notebook cells see is the dynamic library product `DDPM`:
// the executor and every compiled cell link the same libDDPM.so, so that a
// tensor made in one cell is the same kind of object in the next.
//
// Dependencies point one way:
//   COpenBLAS, CTensorKernels ← TensorCore ← NN ← DDPM, with CNumerics (C loops) under NN and DDPM
//   WireJSON ← ExecutorWire, CNotebookRuntime ← NotebookDisplay ← DDPM
//   TensorCore, NotebookDisplay, CPNG, CCairo ← Plotting ← DDPM; CImageFiles (libjpeg-turbo) ← DDPM
// and on the kernel side, which never imports the DSL:
//   ExecutorWire ← CellCompiler; JupyterProtocol, KernelTransport, CellCompiler, ExecutorWire ← Kernel ← ddpm-kernel
//   (in Kernel, the Jupyter server hosts a socket-free NotebookSession)
//   ExecutorWire ← ddpm-executor (which dlopens libDDPM.so and the cells)
// System libraries come from Debian (see scripts/setup.sh).
import PackageDescription

let package = Package(
    name: "swift-ddpm-kernel",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "DDPM", type: .dynamic, targets: ["DDPM"]),
        // Loaded into swift-frontend and ld.lld to keep them started (CellBuilder).
        .library(name: "DDPMForkServer", type: .dynamic, targets: ["CForkServer"]),
        .executable(name: "ddpm-demo", targets: ["ddpm-demo"]),
        .executable(name: "ddpm-bench", targets: ["ddpm-bench"]),
        .executable(name: "ddpm-bench-unet", targets: ["ddpm-bench-unet"]),
        .executable(name: "ddpm-train-digits", targets: ["ddpm-train-digits"]),
        .executable(name: "ddpm-kernel", targets: ["ddpm-kernel"]),
        .executable(name: "ddpm-executor", targets: ["ddpm-executor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/swiftlang/swift-syntax.git", from: "603.0.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        // System libraries (Debian -dev packages).
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CZeroMQ", path: "Sources/CZeroMQ", pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(
            name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),
        // Antialiased shapes and text (FreeType through fontconfig) for figures.
        .systemLibrary(
            name: "CCairo", path: "Sources/CCairo", pkgConfig: "cairo",
            providers: [.apt(["libcairo2-dev"])]),

        // C numeric loops Swift does not vectorise ("kernel" elsewhere means the Jupyter kernel).
        .target(name: "CNumerics", cSettings: [.unsafeFlags(["-O3", "-fno-math-errno"])]),
        // TensorCore's inner loops on images (im2col, normalisation), vectorised by the C compiler,
        // and its convolutions through oneDNN (Debian's libdnnl-dev, as PyTorch uses it on CPU).
        .target(
            name: "CTensorKernels",
            // Reassociation lets sums vectorise (results stay within float rounding of PyTorch's).
            cSettings: [
                .unsafeFlags([
                    "-O3", "-fno-math-errno", "-fassociative-math", "-fno-signed-zeros", "-fno-trapping-math",
                ])
            ],
            linkerSettings: [.linkedLibrary("dnnl"), .linkedLibrary("openblas")]),
        // Image files: JPEG through libjpeg-turbo (Debian's libjpeg62-turbo-dev), whose errors
        // jump (setjmp) and so are caught in C.
        .target(name: "CImageFiles", linkerSettings: [.linkedLibrary("jpeg")]),
        // The notebook runtime's C half: the interrupt flag, the call of a cell's entry point.
        .target(name: "CNotebookRuntime"),
        // A fork server preloaded into the compiler and the linker (see its header).
        // (SwiftPM links the Swift runtime into it too: loaded once, in the server.)
        .target(name: "CForkServer", linkerSettings: [.linkedLibrary("dl")]),

        // The DSL, bottom to top.
        .target(name: "TensorCore", dependencies: ["COpenBLAS", "CTensorKernels"]),
        .target(name: "NN", dependencies: ["TensorCore", "CNumerics"]),
        .target(name: "NotebookDisplay", dependencies: ["ExecutorWire", "WireJSON", "CNotebookRuntime"]),
        .target(name: "Plotting", dependencies: ["TensorCore", "NotebookDisplay", "CPNG", "CCairo"]),
        .target(
            name: "DDPM",
            dependencies: ["TensorCore", "NN", "NotebookDisplay", "Plotting", "CNumerics", "CCairo", "CImageFiles"]),

        // The one JSON type of the Jupyter protocol, the executor's pipes and the notebook runtime.
        .target(name: "WireJSON"),
        // The only vocabulary shared by the kernel, the executor and the notebook runtime.
        .target(name: "ExecutorWire", dependencies: ["WireJSON"]),

        // The kernel side, which never imports the DSL.
        .target(
            name: "JupyterProtocol", dependencies: ["WireJSON", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "KernelTransport", dependencies: ["CZeroMQ"]),
        .target(
            name: "CellCompiler",
            dependencies: [
                "ExecutorWire",
                .product(name: "SwiftParser", package: "swift-syntax"),
                .product(name: "SwiftParserDiagnostics", package: "swift-syntax"),
                .product(name: "SwiftSyntax", package: "swift-syntax"),
                .product(name: "SwiftDiagnostics", package: "swift-syntax"),
            ]),

        .target(name: "CKernelSupport"),
        .target(
            name: "Kernel",
            dependencies: ["JupyterProtocol", "KernelTransport", "CellCompiler", "ExecutorWire", "CKernelSupport"]),

        // Executables.
        .executableTarget(
            name: "ddpm-kernel",
            dependencies: [
                "Kernel", "CellCompiler", "JupyterProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Loads libDDPM.so at run time (never links the DSL statically: cells must share one copy).
        .executableTarget(name: "ddpm-executor", dependencies: ["ExecutorWire"]),
        .executableTarget(name: "ddpm-demo", dependencies: ["DDPM"]),
        .executableTarget(name: "ddpm-bench", dependencies: ["DDPM", "COpenBLAS", "CTensorKernels"]),
        .executableTarget(name: "ddpm-bench-unet", dependencies: ["DDPM"]),
        .executableTarget(name: "ddpm-train-digits", dependencies: ["DDPM"]),

        // Tests: one target per library target.
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"]),
        .testTarget(name: "NNTests", dependencies: ["NN"], exclude: ["Goldens"]),
        .testTarget(name: "JupyterProtocolTests", dependencies: ["JupyterProtocol"]),
        .testTarget(name: "CellCompilerTests", dependencies: ["CellCompiler"]),
        .testTarget(name: "KernelTransportTests", dependencies: ["KernelTransport", "JupyterProtocol"]),
        // Goldens/ is read through #filePath: the goldens and the script that wrote them.
        .testTarget(name: "DDPMTests", dependencies: ["DDPM"], exclude: ["Goldens", "Images"]),
        .testTarget(name: "PlottingTests", dependencies: ["Plotting"], exclude: ["Baselines"]),
        .testTarget(name: "ExecutorWireTests", dependencies: ["ExecutorWire", "WireJSON"]),
        .testTarget(name: "NotebookDisplayTests", dependencies: ["NotebookDisplay", "ExecutorWire"]),
        .testTarget(name: "KernelTests", dependencies: ["Kernel", "CellCompiler", "ExecutorWire", "JupyterProtocol"]),
        .testTarget(name: "SystemLibraryTests", dependencies: ["CZeroMQ", "CPNG", "COpenBLAS"]),
    ],
    swiftLanguageModes: [.v5]
)
