import ImageStore
import System
import Testing

@testable import Registry

@Suite struct ManifestChoiceTests {
    @Test func platformsParseAndFitAsDockerChoosesThem() throws {
        #expect(try PullPlatform(parsing: "linux/arm64/v8").description == "linux/arm64/v8")
        #expect(try PullPlatform(parsing: "Linux/x86_64").description == "linux/amd64")
        for bad in ["linux", "linux/", "/amd64", "a/b/c/d", "linux/am d64"] {
            #expect(throws: EstibaError.self) { try PullPlatform(parsing: bad) }
        }
        let arm64 = PullPlatform(os: "linux", architecture: "arm64", variant: "v8")
        #expect(arm64.fit(.init(architecture: "arm64", os: "linux", variant: "v8")) == 2)
        #expect(arm64.fit(.init(architecture: "arm64", os: "linux")) == 2)
        #expect(arm64.fit(.init(architecture: "amd64", os: "linux")) == nil)
        #expect(arm64.fit(.init(architecture: "arm64", os: "windows")) == nil)
        let armv7 = PullPlatform(os: "linux", architecture: "arm", variant: "v7")
        #expect(armv7.fit(.init(architecture: "arm", os: "linux", variant: "v6")) == 1)
        #expect(armv7.fit(.init(architecture: "arm", os: "linux", variant: "v8")) == nil)
        let amd64 = PullPlatform(os: "linux", architecture: "amd64")
        #expect(amd64.fit(.init(architecture: "amd64", os: "linux", variant: "v1")) == 2)
    }

    @Test func manifestKindsRefuseSchema1ArtifactsAndUnknownTypes() throws {
        #expect(try ManifestKind.of(Array(#"{"schemaVersion":2,"manifests":[]}"#.utf8), contentType: nil, reference: "x") == .index)
        #expect(try ManifestKind.of(Array(#"{"schemaVersion":2,"config":{}}"#.utf8), contentType: "application/vnd.docker.distribution.manifest.v2+json", reference: "x") == .image)
        #expect {
            try ManifestKind.of(Array(#"{"schemaVersion":1,"name":"x","fsLayers":[]}"#.utf8), contentType: "application/vnd.docker.distribution.manifest.v1+prettyjws", reference: "old")
        } throws: { ($0 as? EstibaError)?.message.contains("schema 1") == true }
        #expect {
            try ManifestKind.of(Array(#"{"schemaVersion":2,"mediaType":"application/vnd.example.thing"}"#.utf8), contentType: nil, reference: "odd")
        } throws: { ($0 as? EstibaError)?.message.contains("not a container image") == true }
        #expect(ManifestKind.isForeign("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"))
        #expect(ManifestKind.isForeign("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"))
        #expect(!ManifestKind.isForeign("application/vnd.oci.image.layer.v1.tar+gzip"))
    }
}
