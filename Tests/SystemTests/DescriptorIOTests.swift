import Glibc
import System
import Testing

@Suite struct DescriptorIOTests {
    @Test func writesAndReadsAllThroughAPipeLargerThanItsBuffer() throws {
        let pipe = try Pipe()
        let sent = patternBytes(4 << 20 + 123)
        let writer = pipe.writeEnd
        startThread {
            try? writer.writeAll(sent)
            writer.close()
        }
        let received = try pipe.readEnd.readAll()
        #expect(received.count == sent.count)
        #expect(received == sent)
    }

    @Test func nonBlockingEndsStillTransferEverything() throws {
        let pipe = try Pipe()
        try pipe.readEnd.setNonBlocking(true)
        try pipe.writeEnd.setNonBlocking(true)
        let sent = patternBytes(1 << 20)
        let writer = pipe.writeEnd
        startThread {
            try? writer.writeAll(sent)
            writer.close()
        }
        #expect(try pipe.readEnd.readAll() == sent)
    }

    @Test func readAllStopsAtItsLimit() throws {
        let scratch = try Scratch()
        try scratch.write("f", "0123456789")
        let fd = try FileDescriptor.open(scratch.at("f"))
        #expect(try fd.readAll(upTo: 4) == Array("0123".utf8))
        #expect(try fd.readAll() == Array("456789".utf8))
        var head = [UInt8](repeating: 0, count: 3)
        let n = try head.withUnsafeMutableBytes { try fd.read(into: $0, at: 7) }
        #expect(n == 3 && head == Array("789".utf8))
    }

    @Test func writesAtOffsetsAndResizes() throws {
        let scratch = try Scratch()
        let fd = try FileDescriptor.open(scratch.at("sparse"), [.readWrite, .create])
        try Array("end".utf8).withUnsafeBytes { try fd.writeAll($0, at: 1 << 20) }
        #expect(try fd.status().size == 1 << 20 + 3)
        try fd.truncate(to: 4)
        #expect(try Files.read(scratch.at("sparse")) == [0, 0, 0, 0])
    }

    @Test func aClosedDescriptorClosesOnceAndFailsClearly() throws {
        let pipe = try Pipe()
        let raw = pipe.writeEnd.rawValue
        pipe.writeEnd.close()
        pipe.writeEnd.close()
        #expect(!pipe.writeEnd.isOpen)
        #expect(fcntl(raw, F_GETFD) == -1)
        let error = #expect(throws: EstibaError.self) { try pipe.writeEnd.writeAll("x") }
        #expect(error?.errorNumber == EBADF)
        #expect(error?.message == "Cannot write pipe: Bad file descriptor.")
        #expect(try pipe.readEnd.readAll().isEmpty)
    }

    @Test func aBorrowedDescriptorIsNeverClosed() throws {
        let pipe = try Pipe()
        do {
            let borrowed = FileDescriptor(borrowing: pipe.readEnd.rawValue)
            borrowed.close()
        }
        #expect(fcntl(pipe.readEnd.rawValue, F_GETFD) >= 0)
    }

    @Test func copiesDataBetweenFiles() throws {
        let scratch = try Scratch()
        let bytes = patternBytes(3 << 20)
        try Files.write(bytes, to: scratch.at("source"))
        let destination = try FileDescriptor.open(scratch.at("copy"), [.writeOnly, .create])
        try FileDescriptor.open(scratch.at("source")).copyData(to: destination, count: Int64(bytes.count))
        #expect(try Files.read(scratch.at("copy")) == bytes)
    }
}
