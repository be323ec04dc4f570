import ImageStore
import System
import Testing

/// Docker's normalisation (the facts of distribution/reference's normalize tests).
@Suite struct ReferenceTests {
    static let hex = "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"

    @Test(arguments: [
        ("ubuntu", "docker.io/library/ubuntu:latest", "registry-1.docker.io", "library/ubuntu"),
        ("redis:latest", "docker.io/library/redis:latest", "registry-1.docker.io", "library/redis"),
        ("docker.io/library/redis:latest", "docker.io/library/redis:latest", "registry-1.docker.io", "library/redis"),
        ("docker.io/redis", "docker.io/library/redis:latest", "registry-1.docker.io", "library/redis"),
        ("index.docker.io/library/debian", "docker.io/library/debian:latest", "registry-1.docker.io", "library/debian"),
        ("index.docker.io/docker/docker", "docker.io/docker/docker:latest", "registry-1.docker.io", "docker/docker"),
        ("dmcgowan/myapp", "docker.io/dmcgowan/myapp:latest", "registry-1.docker.io", "dmcgowan/myapp"),
        ("library/foo/bar", "docker.io/library/foo/bar:latest", "registry-1.docker.io", "library/foo/bar"),
        ("test_com/foo", "docker.io/test_com/foo:latest", "registry-1.docker.io", "test_com/foo"),
        ("test.com/foo", "test.com/foo:latest", "test.com", "foo"),
        ("test.com:8080/foo", "test.com:8080/foo:latest", "test.com:8080", "foo"),
        ("test-com:8080/foo", "test-com:8080/foo:latest", "test-com:8080", "foo"),
        ("xn--n3h.com:18080/foo", "xn--n3h.com:18080/foo:latest", "xn--n3h.com:18080", "foo"),
        ("localhost/x", "localhost/x:latest", "localhost", "x"),
        ("localhost:5000/a/b:1.0", "localhost:5000/a/b:1.0", "localhost:5000", "a/b"),
        ("127.0.0.1:5000/library/debian", "127.0.0.1:5000/library/debian:latest", "127.0.0.1:5000", "library/debian"),
        ("192.168.0.1:8/debian", "192.168.0.1:8/debian:latest", "192.168.0.1:8", "debian"),
        ("[fc00::1]:5000/docker/docker", "[fc00::1]:5000/docker/docker:latest", "[fc00::1]:5000", "docker/docker"),
        ("Foo/bar", "Foo/bar:latest", "Foo", "bar"),
        ("docker.io/" + hex, "docker.io/library/\(hex):latest", "registry-1.docker.io", "library/" + hex),
        ("thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", "docker.io/library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev:latest", "registry-1.docker.io", "library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev"),
        ("redis@sha256:" + hex, "docker.io/library/redis@sha256:" + hex, "registry-1.docker.io", "library/redis"),
        ("busybox:latest@sha256:" + hex, "docker.io/library/busybox:latest@sha256:" + hex, "registry-1.docker.io", "library/busybox"),
        ("dock__er/docker-rules---x:v1.2_3-rc", "docker.io/dock__er/docker-rules---x:v1.2_3-rc", "registry-1.docker.io", "dock__er/docker-rules---x"),
    ])
    func normalises(_ input: String, _ full: String, _ host: String, _ repository: String) throws {
        let r = try RemoteReference(parsing: input)
        #expect(r.description == full)
        #expect(r.registryHost == host)
        #expect(r.repository == repository)
    }

    @Test(arguments: [
        "", "https://github.com/docker/docker", "docker/Docker", "-docker", "-docker/docker", "-docker.io/docker/docker",
        "docker///docker", "docker.io/docker/Docker", "docker.io/docker///docker", "[fc00::1]", "[fc00::1]:5000",
        "fc00::1:5000/debian", "[fe80::1%eth0]:5000/debian", "[2001:db8:3:4::192.0.2.33]:5000/debian", hex,
        "docker-/docker", "____/____", "_docker/_docker", "dock..er/docker", "dock_.er/docker", "dock-.er/docker", "docker/",
        "busybox:-tag", "busybox:" + String(repeating: "a", count: 129), "busybox@sha256:abc", "busybox@md5:" + hex,
        "busybox@sha256:" + hex.uppercased(), "host:port/x", String(repeating: "a/", count: 128) + "b",
    ])
    func refuses(_ input: String) {
        #expect(throws: EstibaError.self) { try RemoteReference(parsing: input) }
    }

    @Test func familiarNamesAndLocalTags() throws {
        #expect(try RemoteReference(parsing: "docker.io/library/ubuntu:22.04").localReference?.description == "ubuntu:22.04")
        #expect(try RemoteReference(parsing: "docker.io/team/app").localReference?.description == "team/app:latest")
        #expect(try RemoteReference(parsing: "library/foo/bar").familiarName == "library/foo/bar")
        #expect(try RemoteReference(parsing: "127.0.0.1:5000/x:1").localReference?.description == "127.0.0.1:5000/x:1")
        #expect(try RemoteReference(parsing: "x@sha256:" + Self.hex).localReference == nil)
        let pinned = try RemoteReference(parsing: "x@sha256:" + Self.hex)
        #expect(pinned.tag == nil && pinned.digest?.hex == Self.hex)
        // The local tag reads back as the same image name.
        let local = try #require(try RemoteReference(parsing: "docker.io/library/busybox").localReference)
        #expect(try ImageReference(parsing: local.description) == local)
    }
}
