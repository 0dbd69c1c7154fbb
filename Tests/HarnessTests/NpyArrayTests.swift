import Foundation
import Testing
@testable import Harness
import TensorCore

/// `.npy` files: what the harness writes numpy reads, and what numpy writes the harness reads.
@Suite struct NpyArrayTests {
    static func fixture(_ name: String) throws -> Data {
        try #require(FileManager.default.contents(atPath: implementationFixtures + "/Npy/" + name))
    }

    /// The values and shape of an array, for comparisons.
    static func content(_ array: NpyArray) -> String {
        switch array {
        case .float(let t): "f4 \(t.shape) \(t.scalars.map(\.bitPattern))"
        case .double(let t): "f8 \(t.shape) \(t.scalars.map(\.bitPattern))"
        case .int64(let values, let shape): "i8 \(shape) \(values)"
        }
    }

    static let arrays: [NpyArray] = [
        .float(Tensor(shape: [5], scalars: [0, -1.5, .pi, .greatestFiniteMagnitude, .leastNonzeroMagnitude])),
        .float(Tensor(shape: [2, 3, 2], scalars: (0..<12).map { Float($0) * 0.25 - 1 })),
        .double(Tensor(shape: [4], scalars: [1e-300, -2, .nan, .infinity])),
        .double(Tensor(shape: [3, 1, 2], scalars: (0..<6).map { Double($0) / 3 })),
        .int64([0, -7, Int(Int64.max), Int(Int64.min)], shape: [4]),
        .int64(Array(0..<24), shape: [2, 3, 4]),
        .double(Tensor(shape: [0, 3], scalars: [Double]())),
    ]

    @Test(arguments: arrays.indices)
    func arraysRoundTripWithAlignedData(index: Int) throws {
        let array = Self.arrays[index]
        let bytes = array.encoded()
        let decoded = try NpyArray(decoding: bytes)
        #expect(Self.content(decoded) == Self.content(array))
        let itemSize = if case .float = array { 4 } else { 8 }
        #expect((bytes.count - array.shape.reduce(1, *) * itemSize) % 64 == 0, "numpy aligns the data to 64 bytes")
    }

    @Test func numpyWrittenFilesAreReadAndWrittenByteForByte() throws {
        let scores = try Self.fixture("scores-float32-2x3.npy")
        let expectedScores = NpyArray.float(Tensor(shape: [2, 3], scalars: [0.5, -1, 2, 3.25, 0, -0.125]))
        #expect(Self.content(try NpyArray(decoding: scores)) == Self.content(expectedScores))
        #expect(expectedScores.encoded() == scores)

        let labels = try Self.fixture("labels-int64-5.npy")
        #expect(Self.content(try NpyArray(decoding: labels)) == Self.content(.labels([0, 1, 2, 1, 0])))
        #expect(NpyArray.labels([0, 1, 2, 1, 0]).encoded() == labels)
    }

    /// `bytes` with `old` replaced by `new` (same length) in the header.
    static func patched(_ bytes: Data, _ old: String, _ new: String) -> Data {
        precondition(old.utf8.count == new.utf8.count)
        var text = [UInt8](bytes)
        let needle = Array(old.utf8)
        let at = (0...(text.count - needle.count)).first { Array(text[$0..<($0 + needle.count)]) == needle }!
        text.replaceSubrange(at..<(at + needle.count), with: Array(new.utf8))
        return Data(text)
    }

    @Test func whatItCannotReadIsAnNpyErrorSayingWhy() throws {
        let scores = try Self.fixture("scores-float32-2x3.npy")
        func reason(_ data: Data) -> String {
            do {
                _ = try NpyArray(decoding: data)
                return "read"
            } catch {
                return error.description
            }
        }
        #expect(reason(Self.patched(scores, "False", "True ")).contains("Fortran"))
        #expect(reason(Self.patched(scores, "NUMPY", "NUMPZ")).contains("magic"))
        #expect(reason(Data([0x93, 0x4e])).contains("magic"))
        #expect(reason(Data(Array("{'descr': '<f4'}".utf8))).contains("magic"))
        #expect(reason(scores.dropLast(4)).contains("data bytes"))
        #expect(reason(scores + Data([0, 0, 0, 0])).contains("data bytes"))
        #expect(reason(scores.prefix(40)).contains("header"))
        #expect(reason(Self.patched(scores, "<f4", "<c8")).contains("dtype <c8"))
        #expect(reason(Self.patched(scores, "<f4", ">f4")).contains("dtype >f4"), "big-endian is refused, not misread")
        #expect(reason(Self.patched(scores, "(2, 3)", "(2, x)")).contains("bad shape"))
        #expect(reason(Self.patched(scores, "descr", "dtype")).contains("lacks descr"))
        var version = [UInt8](scores)
        version[6] = 9
        #expect(reason(Data(version)).contains("version 9"))
        #expect(throws: NpyError.self) { try NpyArray(decoding: Data()) }
    }

    @Test func int32IsReadAsIntegers() throws {
        let labels = try Self.fixture("labels-int64-5.npy")
        // The same header as int32 with half the data.
        let header = Self.patched(labels, "<i8", "<i4").prefix(labels.count - 40)
        let values: [Int32] = [3, -1, 0, 2, 1]
        let data = header + values.withUnsafeBytes { Data($0) }
        #expect(Self.content(try NpyArray(decoding: data)) == Self.content(.int64([3, -1, 0, 2, 1], shape: [5])))
    }
}
