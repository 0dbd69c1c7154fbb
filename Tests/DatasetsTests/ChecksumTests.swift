@testable import Datasets
import Testing

/// ``Checksum``: swift-crypto's SHA-256 behind our hex-string wrapper.
@Suite struct ChecksumTests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func fipsVectors(message: String, digest: String) {
        #expect(Checksum.sha256(Array(message.utf8)) == digest)
    }

    /// Files are hashed in chunks; a file of several chunks and a partial last one hashes to
    /// the one-shot digest of its bytes and to the value Python's hashlib gives.
    @Test func fileHashStreamsInChunks() throws {
        let size = 3 * Checksum.chunkSize + 7
        let message = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try withTemporaryDirectory { directory in
            let path = directory + "/bytes"
            try writeBytes(message, to: path)
            let streamed = try Checksum.sha256(file: path)
            #expect(streamed == Checksum.sha256(message))
            #expect(streamed == "62c3f0340ad6b4c83ef6047fbb7630d19143ea78d05f8c1a1cdbc02385db6139")
            try writeBytes([], to: path)
            #expect(try Checksum.sha256(file: path) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        }
    }

    @Test func missingFileIsReported() {
        expectError(.fileNotFound("/nonexistent/tnbench-file")) { _ = try Checksum.sha256(file: "/nonexistent/tnbench-file") }
    }
}
