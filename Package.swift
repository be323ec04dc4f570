// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Estiba",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "estiba", targets: ["estiba"]),
        .executable(name: "estiba-rpc-bench", targets: ["RPCBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CJansson", pkgConfig: "jansson",
            providers: [.apt(["libjansson-dev"])]),
        .systemLibrary(
            name: "CArchive", pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(
            name: "CCrypto", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSys"),
        .systemLibrary(
            name: "CSeccomp", pkgConfig: "libseccomp",
            providers: [.apt(["libseccomp-dev"])]),
        // libcurl's headers only: the library is loaded with dlopen when a download happens.
        .systemLibrary(name: "CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(name: "Fetch", dependencies: ["CCurl", "System"]),
        .target(name: "System", dependencies: ["CSys"]),
        .target(name: "CLauncher"),
        .target(name: "CJSONRegion", dependencies: ["CJansson"]),
        .target(name: "EstibaJSON", dependencies: ["CJansson", "CJSONRegion", "System"], linkerSettings: [.linkedLibrary("m")]),
        .target(name: "ImageStore", dependencies: ["EstibaJSON", "CArchive", "CCrypto", "System"]),
        .target(name: "Dockerfile", dependencies: ["EstibaJSON", "System"]),
        .target(name: "Runtime", dependencies: ["CLauncher", "CSeccomp", "EstibaJSON", "ImageStore", "System"], exclude: ["EntryProgram"]),
        .target(name: "Builder", dependencies: ["Dockerfile", "EstibaJSON", "ImageStore", "Runtime", "System", "Fetch"]),
        .target(name: "Registry", dependencies: ["ImageStore", "EstibaJSON", "Fetch", "System"]),
        .target(name: "Engine", dependencies: ["Dockerfile", "EstibaJSON", "ImageStore", "Runtime", "Builder", "Registry", "System"]),
        .target(name: "JSONRPC", dependencies: ["EstibaJSON", "System"]),
        .target(name: "CLIOutput", dependencies: ["Engine", "EstibaJSON", "System"]),
        .target(name: "Service", dependencies: ["JSONRPC", "Engine", "EstibaJSON", "CLIOutput", "System"]),
        .executableTarget(
            name: "estiba",
            dependencies: [
                "Service", "Engine", "EstibaJSON", "JSONRPC", "CLIOutput", "System",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "RPCBench", dependencies: ["EstibaJSON", "Dockerfile", "Engine", "CLIOutput", "Service"], path: "Benchmarks/RPCBench"),
        .testTarget(name: "EstibaJSONTests", dependencies: ["EstibaJSON", "System"]),
        .testTarget(name: "DockerfileTests", dependencies: ["Dockerfile", "EstibaJSON", "System"]),
        .testTarget(name: "BuilderTests", dependencies: ["Builder", "Dockerfile", "ImageStore", "EstibaJSON", "System"]),
        .testTarget(name: "JSONRPCTests", dependencies: ["JSONRPC", "EstibaJSON"]),
        .testTarget(name: "SystemTests", dependencies: ["System"]),
        .testTarget(name: "CLIOutputTests", dependencies: ["CLIOutput", "Engine", "Dockerfile", "EstibaJSON"]),
        .testTarget(name: "ImageStoreTests", dependencies: ["ImageStore", "EstibaJSON", "System"]),
        .testTarget(name: "RegistryTests", dependencies: ["Registry", "ImageStore", "Fetch", "EstibaJSON", "System"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "System"]),
        .testTarget(name: "ServiceTests", dependencies: ["Service", "Engine", "EstibaJSON", "JSONRPC", "System"]),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "Engine", "ImageStore", "EstibaJSON", "System"]),
        .testTarget(name: "EndToEndTests", dependencies: ["EstibaJSON"]),
    ],
    swiftLanguageModes: [.v6]
)
