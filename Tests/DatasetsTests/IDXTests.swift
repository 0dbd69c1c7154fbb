import Datasets
import Testing

@Suite struct IDXTests {
    let images = IDXFile(dimensions: [3, 2, 4], bytes: (0..<24).map { UInt8($0 * 10) })
    let labels = IDXFile(dimensions: [3], bytes: [7, 0, 9])

    @Test func headerIsCanonical() {
        let bytes = labels.encoded()
        #expect(bytes == [0, 0, 8, 1, 0, 0, 0, 3, 7, 0, 9])
        #expect(Array(images.encoded().prefix(16)) == [0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 4])
    }

    @Test(arguments: [false, true])
    func roundTrip(compressed: Bool) throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/images"
            try images.write(to: path, compressed: compressed)
            let raw = try readBytes(path)
            #expect((raw.prefix(2) == [0x1f, 0x8b]) == compressed)
            #expect(try IDXFile.read(path, rank: 3) == images)
            try labels.write(to: path + "-labels", compressed: compressed)
            #expect(try IDXFile.read(path + "-labels") == labels)
        }
    }

    @Test func gzipRoundTripLarge() throws {
        let data = (0..<300_000).map { UInt8(truncatingIfNeeded: ($0 * 7) ^ ($0 >> 5)) }
        let compressed = Gzip.compress(data)
        #expect(Gzip.isCompressed(compressed))
        #expect(try Gzip.decompress(compressed) == data)
    }

    @Test func missingFile() {
        expectError(.fileNotFound("/nonexistent/train-images-idx3-ubyte")) {
            _ = try IDXFile.read("/nonexistent/train-images-idx3-ubyte")
        }
    }

    @Test func truncatedFileIsRejected() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/short"
            try writeBytes(Array(images.encoded().dropLast(5)), to: path)
            expectError(.truncated(path, expected: 40, actual: 35)) { _ = try IDXFile.read(path) }
        }
    }

    @Test func truncatedGzipIsRejected() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/short.gz"
            let compressed = Gzip.compress(images.encoded())
            try writeBytes(Array(compressed.prefix(compressed.count / 2)), to: path)
            expectError({ _ = try IDXFile.read(path) }) {
                if case .truncated(path, _, _) = $0 { return true } else { return false }
            }
        }
    }

    @Test func badMagicIsRejected() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/bad"
            var bytes = images.encoded()
            bytes[2] = 0x0d  // float data, not unsigned bytes
            try writeBytes(bytes, to: path)
            expectError(.badMagic(path, expected: 0x803, actual: 0x0d03)) { _ = try IDXFile.read(path, rank: 3) }
            // A label file where images are expected.
            try labels.write(to: path)
            expectError(.badMagic(path, expected: 0x803, actual: 0x801)) { _ = try IDXFile.read(path, rank: 3) }
        }
    }

    @Test func trailingBytesAreRejected() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/long"
            try writeBytes(labels.encoded() + [1, 2], to: path)
            expectError({ _ = try IDXFile.read(path) }) {
                if case .malformed(path, _) = $0 { return true } else { return false }
            }
        }
    }

    @Test func wrongChecksumIsRejected() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/labels"
            try labels.write(to: path)
            let actual = Checksum.sha256(labels.encoded())
            try Provisioner.checkHash(path, expected: actual)
            let wrong = String(repeating: "0", count: 64)
            expectError(.checksumMismatch(path, expected: wrong, actual: actual)) {
                try Provisioner.checkHash(path, expected: wrong)
            }
        }
    }

    @Test func errorDescriptionsAreActionable() {
        let line = DatasetError.checksumMismatch("/d/mnist/x", expected: "a", actual: "b").description
        #expect(line.contains("/d/mnist/x") && line.contains("tnbench data fetch") && !line.contains("\n"))
        #expect(DatasetError.fileNotFound("/d/x").description.contains("run `tnbench data fetch`"))
    }
}
