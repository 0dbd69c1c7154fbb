import Datasets
import Testing

/// Writes pickle protocol-2 streams opcode by opcode, as CPython's pickler does for NumPy arrays.
struct PickleWriter {
    var bytes: [UInt8] = [0x80, 2]  // PROTO 2
    mutating func op(_ code: UInt8, _ argument: [UInt8] = []) { bytes.append(code); bytes += argument }
    mutating func op(_ code: Unicode.Scalar, _ argument: [UInt8] = []) { op(UInt8(ascii: code), argument) }
    mutating func global(_ module: String, _ name: String) { op("c", Array("\(module)\n\(name)\n".utf8)) }
    mutating func int1(_ v: Int) { op("K", [UInt8(v)]) }
    mutating func int2(_ v: Int) { op("M", [UInt8(v & 0xff), UInt8(v >> 8)]) }
    mutating func int4(_ v: Int32) { op("J", withUnsafeBytes(of: v.littleEndian, Array.init)) }
    mutating func shortString(_ s: String) { op("U", [UInt8(s.utf8.count)] + Array(s.utf8)) }
    mutating func binString(_ raw: [UInt8]) { op("T", withUnsafeBytes(of: UInt32(raw.count).littleEndian, Array.init) + raw) }
    mutating func put(_ i: Int) { op("q", [UInt8(i)]) }
    mutating func get(_ i: Int) { op("h", [UInt8(i)]) }

    /// A NumPy array `_reconstruct(ndarray, (0,), b'b')` + BUILD((1, shape, dtype, False, raw)).
    /// The dtype is memoized in slot `dtypeSlot` the first time and fetched with BINGET after.
    mutating func array(shape: [Int], type: String, raw: [UInt8], dtypeSlot: Int, dtypeKnown: Bool) {
        global("numpy.core.multiarray", "_reconstruct")
        global("numpy", "ndarray")
        int1(0); op(0x85); shortString("b"); op(0x87); op("R")  // TUPLE1, TUPLE3, REDUCE
        op("(")
        int1(1)
        for d in shape { int2(d) }
        op(shape.count == 1 ? 0x85 : 0x86)
        if dtypeKnown {
            get(dtypeSlot)
        } else {
            global("numpy", "dtype"); shortString(type); int1(0); int1(1); op(0x87); op("R"); put(dtypeSlot)
            op("("); int1(3); shortString("<"); op("N"); op("N"); op("N"); int4(-1); int4(-1); int1(0); op("t"); op("b")
        }
        op(0x89)  // NEWFALSE
        binString(raw)
        op("t"); op("b")
    }
}

@Suite struct PickleTests {
    @Test func tuplesIntsAndMemo() throws {
        var w = PickleWriter()
        w.op("(")
        w.int1(7); w.put(0); w.int2(300); w.int4(-5); w.op(0x87)  // TUPLE3: (7, 300, -5)
        w.get(0); w.op("N"); w.op(0x88); w.op(0x89)
        w.op("("); w.shortString("hi"); w.op("t")
        w.op("t"); w.op(".")
        let reader = PickleReader(data: w.bytes, path: "memory")
        guard case .tuple(let items) = try reader.load(), items.count == 6,
              case .tuple(let triple) = items[0], case .tuple(let inner) = items[5] else {
            Issue.record("unexpected structure"); return
        }
        guard case .int(7) = triple[0], case .int(300) = triple[1], case .int(-5) = triple[2],
              case .int(7) = items[1], case .none = items[2], case .bool(true) = items[3], case .bool(false) = items[4]
        else { Issue.record("unexpected values \(items)"); return }
        #expect(reader.string(inner[0]) == "hi")
    }

    @Test func numpyArraysAndMNISTLayout() throws {
        // A tiny stand-in for mnist.pkl.gz: train 2, validation 1, test 1 images of 28×28.
        func pixels(_ image: Int) -> [UInt8] { (0..<784).map { UInt8(($0 * 7 + image * 13) % 256) } }
        func floatBytes(_ bytes: [UInt8]) -> [UInt8] {
            bytes.flatMap { withUnsafeBytes(of: (Float($0) / 256).bitPattern.littleEndian, Array.init) }
        }
        func labelBytes(_ labels: [Int64]) -> [UInt8] { labels.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) } }
        let parts: [[Int]] = [[0, 1], [2], [3]]
        let labelValues: [[Int64]] = [[5, 0], [9], [3]]
        var w = PickleWriter()
        for (k, images) in parts.enumerated() {
            w.array(shape: [images.count, 784], type: "f4", raw: floatBytes(images.flatMap(pixels)),
                    dtypeSlot: 5, dtypeKnown: k > 0)
            w.array(shape: [images.count], type: "i8", raw: labelBytes(labelValues[k]), dtypeSlot: 7, dtypeKnown: k > 0)
            w.op(0x86)
        }
        w.op(0x87); w.op(".")
        try withTemporaryDirectory { directory in
            let path = directory + "/mnist.pkl.gz"
            try writeBytes(Gzip.compress(w.bytes), to: path)
            let mnist = try MNISTPickle(path: path)
            #expect(mnist.trainImages.dimensions == [3, 28, 28])
            #expect(mnist.trainImages.bytes == pixels(0) + pixels(1) + pixels(2))
            #expect(mnist.trainLabels.bytes == [5, 0, 9])
            #expect(mnist.testImages.bytes == pixels(3))
            #expect(mnist.testLabels.dimensions == [1] && mnist.testLabels.bytes == [3])
        }
    }

    @Test func pixelThatIsNotKOver256IsRejected() throws {
        var w = PickleWriter()
        var raw = [UInt8](repeating: 0, count: 784 * 4)
        withUnsafeBytes(of: Float(0.3).bitPattern.littleEndian) { raw.replaceSubrange(0..<4, with: $0) }
        for k in 0..<3 {
            w.array(shape: [1, 784], type: "f4", raw: raw, dtypeSlot: 5, dtypeKnown: k > 0)
            w.array(shape: [1], type: "i8", raw: [UInt8](repeating: 0, count: 8), dtypeSlot: 7, dtypeKnown: k > 0)
            w.op(0x86)
        }
        w.op(0x87); w.op(".")
        try withTemporaryDirectory { directory in
            let path = directory + "/bad.pkl"
            try writeBytes(w.bytes, to: path)
            expectError({ _ = try MNISTPickle(path: path) }) {
                if case .malformed(path, let reason) = $0 { return reason.contains("k/256") } else { return false }
            }
        }
    }

    @Test func unsupportedOpcodeAndTruncationAreRejected() {
        var w = PickleWriter()
        w.op("}")  // EMPTY_DICT: not in the subset
        expectError({ _ = try PickleReader(data: w.bytes, path: "p").load() }) {
            if case .malformed("p", let reason) = $0 { return reason.contains("0x7d") } else { return false }
        }
        var t = PickleWriter()
        t.int1(1)  // no STOP
        expectError(.truncated("p", expected: 5, actual: 4)) { _ = try PickleReader(data: t.bytes, path: "p").load() }
    }
}
