import CHDF5
import Synchronization

/// A failure of the HDF5 library or of a result file's layout, naming the file and the object.
public struct HDF5Error: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The serial HDF5 library is not thread-safe: every harness entry point that touches HDF5
/// (write a record, read records, merge) holds this lock for its whole duration.
let hdf5Lock = Mutex<Void>(())

/// Runs `body` with the HDF5 lock held (HDF5's own error printing silenced).
func withHDF5<T>(_ body: () throws -> T) throws -> T {
    try hdf5Lock.withLock { _ in
        _ = skipLibraryTeardownAtExit
        tnb_H5_silence_errors()
        return try body()
    }
}

/// Keeps libhdf5 from registering its `atexit` teardown (`H5_term_library`), which must run
/// before its first use. libhdf5 1.10 leaves a half-made file id behind when creating a file
/// fails (a full disk) and then dereferences it in that teardown, crashing the tool after it has
/// printed its error. Every file is closed explicitly and the harness never lets libhdf5 write
/// to disk itself (files are built in memory, see ``HDF5File/createInMemory(name:userBlock:)``),
/// so the teardown has nothing to do.
private let skipLibraryTeardownAtExit: Void = { _ = H5dont_atexit() }()

/// Unique names for in-memory files: libhdf5 takes two open core-driver files of one name for
/// the same file.
private let inMemoryFileCounter = Atomic<Int>(0)

/// A value stored as an HDF5 attribute: a 64-bit float, a 64-bit integer, a UTF-8 string
/// (variable length, which h5py reads as `str`) or a 1-D float64 array.
public enum HDF5AttributeValue: Sendable, Equatable {
    case double(Double)
    case int(Int64)
    case string(String)
    case doubles([Double])

    /// The value as a number, when it is one.
    public var doubleValue: Double? {
        switch self {
        case .double(let d): return d
        case .int(let i): return Double(i)
        case .doubles(let a) where a.count == 1: return a[0]
        default: return nil
        }
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    init(_ value: ConfigurationValue) {
        switch value {
        case .int(let i): self = .int(Int64(i))
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        }
    }

    var configurationValue: ConfigurationValue {
        switch self {
        case .double(let d): return .double(d)
        case .int(let i): return .int(Int(i))
        case .string(let s): return .string(s)
        case .doubles(let a): return .string(a.map { String($0) }.joined(separator: ","))
        }
    }
}

/// An open HDF5 file. Thin and synchronous; callers hold ``hdf5Lock`` (see ``withHDF5(_:)``).
final class HDF5File {
    let id: hid_t
    let path: String

    private init(id: hid_t, path: String) {
        self.id = id
        self.path = path
    }

    /// Creates (truncating) a file on disk, written by libhdf5 itself. Tests only (hand-made
    /// files of older schemas): the harness writes through ``createInMemory(name:userBlock:)``.
    static func create(_ path: String) throws -> HDF5File {
        let id = H5Fcreate(path, tnb_H5F_ACC_TRUNC(), tnb_H5P_DEFAULT(), tnb_H5P_DEFAULT())
        guard id >= 0 else { throw HDF5Error("cannot create HDF5 file \(path)") }
        return HDF5File(id: id, path: path)
    }

    /// Opens an existing file on disk, unverified. Tests only: the harness reads through
    /// ``openVerified(_:what:)``, which checks a file's checksum before libhdf5 parses it.
    static func open(_ path: String, writable: Bool = false) throws -> HDF5File {
        let id = H5Fopen(path, writable ? tnb_H5F_ACC_RDWR() : tnb_H5F_ACC_RDONLY(), tnb_H5P_DEFAULT())
        guard id >= 0 else { throw HDF5Error("cannot open HDF5 file \(path) (missing, truncated or not HDF5)") }
        return HDF5File(id: id, path: path)
    }

    /// Creates an empty file in memory (the core driver without a backing store): libhdf5 never
    /// touches the disk, so a full or failing disk cannot leave it half-written; ``image()``
    /// returns its bytes for the caller to write (see ``SealedFile``).
    ///
    /// - Parameters:
    ///   - name: a label for messages (the file's eventual path).
    ///   - userBlock: bytes reserved at the start of the file for the caller (0, or a power of
    ///     two ≥ 512); libhdf5 skips them when it reads.
    static func createInMemory(name: String, userBlock: Int) throws -> HDF5File {
        let fcpl = H5Pcreate(tnb_H5P_FILE_CREATE())
        defer { H5Pclose(fcpl) }
        let fapl = H5Pcreate(tnb_H5P_FILE_ACCESS())
        defer { H5Pclose(fapl) }
        guard H5Pset_userblock(fcpl, hsize_t(userBlock)) >= 0, H5Pset_fapl_core(fapl, 1 << 16, false) >= 0 else {
            throw HDF5Error("cannot set up an in-memory HDF5 file for \(name)")
        }
        let id = H5Fcreate(uniqueName(name), tnb_H5F_ACC_TRUNC(), fcpl, fapl)
        guard id >= 0 else { throw HDF5Error("cannot create an in-memory HDF5 file for \(name)") }
        return HDF5File(id: id, path: name)
    }

    /// Opens (read-only) a file from its bytes, user block included, without touching the disk.
    static func open(image bytes: [UInt8], name: String) throws -> HDF5File {
        let fapl = H5Pcreate(tnb_H5P_FILE_ACCESS())
        defer { H5Pclose(fapl) }
        guard H5Pset_fapl_core(fapl, 1 << 16, false) >= 0,
            bytes.withUnsafeBytes({ H5Pset_file_image(fapl, UnsafeMutableRawPointer(mutating: $0.baseAddress), $0.count) }) >= 0
        else { throw HDF5Error("cannot set up an in-memory HDF5 file for \(name)") }
        let id = H5Fopen(uniqueName(name), tnb_H5F_ACC_RDONLY(), fapl)
        guard id >= 0 else { throw HDF5Error("cannot open HDF5 file \(name) (truncated or not HDF5)") }
        return HDF5File(id: id, path: name)
    }

    private static func uniqueName(_ name: String) -> String {
        "\(name)#memory-\(inMemoryFileCounter.add(1, ordering: .relaxed).newValue)"
    }

    /// The file's bytes after its user block (what libhdf5 wrote), flushed first.
    func image() throws -> [UInt8] {
        guard H5Fflush(id, H5F_SCOPE_GLOBAL) >= 0 else { throw HDF5Error("cannot flush \(path)") }
        let size = H5Fget_file_image(id, nil, 0)
        guard size > 0 else { throw HDF5Error("cannot take the image of \(path)") }
        var bytes = [UInt8](repeating: 0, count: size)
        let read = bytes.withUnsafeMutableBytes { H5Fget_file_image(id, $0.baseAddress, $0.count) }
        guard read == size else { throw HDF5Error("cannot take the image of \(path)") }
        return bytes
    }

    /// The root group `/`.
    func root() throws -> HDF5Group { try HDF5Group(openAt: id, "/", file: path) }

    /// Copies the object at `source` in `from` to `destination` here, creating intermediate groups.
    func copy(from other: HDF5File, _ source: String, to destination: String) throws {
        let lcpl = H5Pcreate(tnb_H5P_LINK_CREATE())
        defer { H5Pclose(lcpl) }
        H5Pset_create_intermediate_group(lcpl, 1)
        guard H5Ocopy(other.id, source, id, destination, tnb_H5P_DEFAULT(), lcpl) >= 0 else {
            throw HDF5Error("cannot copy \(other.path):\(source) to \(path):\(destination) (already present?)")
        }
    }

    func flush() { H5Fflush(id, H5F_SCOPE_GLOBAL) }

    deinit { H5Fclose(id) }
}

/// An open HDF5 group: children, attributes and datasets.
final class HDF5Group {
    let id: hid_t
    let path: String

    init(openAt location: hid_t, _ name: String, file: String) throws {
        let id = H5Gopen2(location, name, tnb_H5P_DEFAULT())
        guard id >= 0 else { throw HDF5Error("\(file): no group '\(name)'") }
        self.id = id
        self.path = file + ":" + name
    }

    private init(id: hid_t, path: String) {
        self.id = id
        self.path = path
    }

    deinit { H5Gclose(id) }

    // MARK: Children

    /// Creates a child group (and any missing intermediate groups in a `a/b/c` name).
    func createGroup(_ name: String) throws -> HDF5Group {
        if exists(name) { return try group(name) }
        let lcpl = H5Pcreate(tnb_H5P_LINK_CREATE())
        defer { H5Pclose(lcpl) }
        H5Pset_create_intermediate_group(lcpl, 1)
        let child = H5Gcreate2(id, name, lcpl, tnb_H5P_DEFAULT(), tnb_H5P_DEFAULT())
        guard child >= 0 else { throw HDF5Error("\(path): cannot create group '\(name)'") }
        return HDF5Group(id: child, path: path + "/" + name)
    }

    func group(_ name: String) throws -> HDF5Group {
        let child = H5Gopen2(id, name, tnb_H5P_DEFAULT())
        guard child >= 0 else { throw HDF5Error("\(path): no group '\(name)'") }
        return HDF5Group(id: child, path: path + "/" + name)
    }

    func exists(_ name: String) -> Bool { H5Lexists(id, name, tnb_H5P_DEFAULT()) > 0 }

    /// The names of the children, in name order, each with whether it is a group.
    func children() -> [(name: String, isGroup: Bool)] {
        var info = H5G_info_t()
        guard H5Gget_info(id, &info) >= 0 else { return [] }
        var result: [(String, Bool)] = []
        for index in 0..<info.nlinks {
            let length = H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, tnb_H5P_DEFAULT())
            guard length >= 0 else { continue }
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, tnb_H5P_DEFAULT())
            let name = String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let object = H5Oopen(id, name, tnb_H5P_DEFAULT())
            guard object >= 0 else { continue }
            let isGroup = H5Iget_type(object) == H5I_GROUP
            H5Oclose(object)
            result.append((name, isGroup))
        }
        return result
    }

    // MARK: Attributes

    func setAttribute(_ name: String, _ value: HDF5AttributeValue) throws {
        try HDF5Attributes.write(on: id, name, value, context: path)
    }

    func setAttributes(_ values: [String: HDF5AttributeValue]) throws {
        for key in values.keys.sorted() { try setAttribute(key, values[key]!) }
    }

    func attributes() throws -> [String: HDF5AttributeValue] { try HDF5Attributes.readAll(on: id, context: path) }

    // MARK: Datasets

    /// Writes an N-D dataset of float32 or float64 values (row-major, the C order h5py shows).
    func writeDataset(_ name: String, shape: [Int], data: RecordedArray.Storage) throws {
        var dims = shape.map { hsize_t($0) }
        let space = H5Screate_simple(Int32(dims.count), &dims, nil)
        defer { H5Sclose(space) }
        let type: hid_t
        switch data {
        case .float32: type = tnb_H5T_NATIVE_FLOAT()
        case .float64: type = tnb_H5T_NATIVE_DOUBLE()
        }
        let dataset = H5Dcreate2(id, name, type, space, tnb_H5P_DEFAULT(), tnb_H5P_DEFAULT(), tnb_H5P_DEFAULT())
        guard dataset >= 0 else { throw HDF5Error("\(path): cannot create dataset '\(name)'") }
        defer { H5Dclose(dataset) }
        let status: herr_t
        switch data {
        case .float32(let values): status = values.withUnsafeBytes { H5Dwrite(dataset, type, tnb_H5S_ALL(), tnb_H5S_ALL(), tnb_H5P_DEFAULT(), $0.baseAddress) }
        case .float64(let values): status = values.withUnsafeBytes { H5Dwrite(dataset, type, tnb_H5S_ALL(), tnb_H5S_ALL(), tnb_H5P_DEFAULT(), $0.baseAddress) }
        }
        guard status >= 0 else { throw HDF5Error("\(path): cannot write dataset '\(name)'") }
    }

    /// Reads a dataset: float32 stays float32; every other numeric type is read as float64.
    func readDataset(_ name: String) throws -> RecordedArray {
        let dataset = H5Dopen2(id, name, tnb_H5P_DEFAULT())
        guard dataset >= 0 else { throw HDF5Error("\(path): no dataset '\(name)'") }
        defer { H5Dclose(dataset) }
        let space = H5Dget_space(dataset)
        defer { H5Sclose(space) }
        let rank = Int(H5Sget_simple_extent_ndims(space))
        var dims = [hsize_t](repeating: 0, count: max(rank, 1))
        H5Sget_simple_extent_dims(space, &dims, nil)
        let shape = rank == 0 ? [] : dims.prefix(rank).map { Int($0) }
        let count = shape.reduce(1, *)
        let fileType = H5Dget_type(dataset)
        defer { H5Tclose(fileType) }
        let isFloat32 = H5Tget_class(fileType) == H5T_FLOAT && H5Tget_size(fileType) == 4
        var attributes: [String: ConfigurationValue] = [:]
        for (key, value) in try HDF5Attributes.readAll(on: dataset, context: path + "/" + name) {
            attributes[key] = value.configurationValue
        }
        if isFloat32 {
            var values = [Float](repeating: 0, count: count)
            let status = values.withUnsafeMutableBytes { H5Dread(dataset, tnb_H5T_NATIVE_FLOAT(), tnb_H5S_ALL(), tnb_H5S_ALL(), tnb_H5P_DEFAULT(), $0.baseAddress) }
            guard status >= 0 else { throw HDF5Error("\(path): cannot read dataset '\(name)'") }
            return RecordedArray(shape: shape, data: .float32(values), attributes: attributes)
        }
        var values = [Double](repeating: 0, count: count)
        let status = values.withUnsafeMutableBytes { H5Dread(dataset, tnb_H5T_NATIVE_DOUBLE(), tnb_H5S_ALL(), tnb_H5S_ALL(), tnb_H5P_DEFAULT(), $0.baseAddress) }
        guard status >= 0 else { throw HDF5Error("\(path): cannot read dataset '\(name)'") }
        return RecordedArray(shape: shape, data: .float64(values), attributes: attributes)
    }

    /// Sets attributes on an existing dataset.
    func setDatasetAttributes(_ name: String, _ values: [String: HDF5AttributeValue]) throws {
        let dataset = H5Dopen2(id, name, tnb_H5P_DEFAULT())
        guard dataset >= 0 else { throw HDF5Error("\(path): no dataset '\(name)'") }
        defer { H5Dclose(dataset) }
        for key in values.keys.sorted() { try HDF5Attributes.write(on: dataset, key, values[key]!, context: path + "/" + name) }
    }
}

/// Attribute reading and writing on any HDF5 object id.
enum HDF5Attributes {
    static func write(on object: hid_t, _ name: String, _ value: HDF5AttributeValue, context: String) throws {
        if H5Aexists(object, name) > 0 { H5Adelete(object, name) }
        var status: herr_t = -1
        switch value {
        case .double(var d):
            status = scalar(on: object, name, type: tnb_H5T_NATIVE_DOUBLE()) { H5Awrite($0, tnb_H5T_NATIVE_DOUBLE(), &d) }
        case .int(var i):
            status = scalar(on: object, name, type: tnb_H5T_NATIVE_INT64()) { H5Awrite($0, tnb_H5T_NATIVE_INT64(), &i) }
        case .string(let s):
            let type = H5Tcopy(tnb_H5T_C_S1())
            defer { H5Tclose(type) }
            H5Tset_size(type, tnb_H5T_VARIABLE())
            H5Tset_cset(type, H5T_CSET_UTF8)
            status = scalar(on: object, name, type: type) { attribute in
                s.withCString { pointer in
                    var p: UnsafePointer<CChar>? = pointer
                    return H5Awrite(attribute, type, &p)
                }
            }
        case .doubles(let values):
            var dims = [hsize_t(values.count)]
            let space = H5Screate_simple(1, &dims, nil)
            defer { H5Sclose(space) }
            let attribute = H5Acreate2(object, name, tnb_H5T_NATIVE_DOUBLE(), space, tnb_H5P_DEFAULT(), tnb_H5P_DEFAULT())
            if attribute >= 0 {
                status = values.withUnsafeBytes { H5Awrite(attribute, tnb_H5T_NATIVE_DOUBLE(), $0.baseAddress) }
                H5Aclose(attribute)
            }
        }
        guard status >= 0 else { throw HDF5Error("\(context): cannot write attribute '\(name)'") }
    }

    private static func scalar(on object: hid_t, _ name: String, type: hid_t, _ write: (hid_t) -> herr_t) -> herr_t {
        let space = H5Screate(H5S_SCALAR)
        defer { H5Sclose(space) }
        let attribute = H5Acreate2(object, name, type, space, tnb_H5P_DEFAULT(), tnb_H5P_DEFAULT())
        guard attribute >= 0 else { return -1 }
        defer { H5Aclose(attribute) }
        return write(attribute)
    }

    static func readAll(on object: hid_t, context: String) throws -> [String: HDF5AttributeValue] {
        var result: [String: HDF5AttributeValue] = [:]
        let count = H5Aget_num_attrs(object)
        guard count > 0 else { return result }
        for index in 0..<hsize_t(count) {
            let attribute = H5Aopen_by_idx(object, ".", H5_INDEX_NAME, H5_ITER_INC, index, tnb_H5P_DEFAULT(), tnb_H5P_DEFAULT())
            guard attribute >= 0 else { continue }
            defer { H5Aclose(attribute) }
            let length = H5Aget_name(attribute, 0, nil)
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            H5Aget_name(attribute, buffer.count, &buffer)
            let name = String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if let value = read(attribute) { result[name] = value }
        }
        return result
    }

    private static func read(_ attribute: hid_t) -> HDF5AttributeValue? {
        let type = H5Aget_type(attribute)
        defer { H5Tclose(type) }
        let space = H5Aget_space(attribute)
        defer { H5Sclose(space) }
        let count = Int(H5Sget_simple_extent_npoints(space))
        let typeClass = H5Tget_class(type)
        if typeClass == H5T_STRING {
            if H5Tis_variable_str(type) > 0 {
                let memType = H5Tcopy(tnb_H5T_C_S1())
                defer { H5Tclose(memType) }
                H5Tset_size(memType, tnb_H5T_VARIABLE())
                H5Tset_cset(memType, H5Tget_cset(type))
                var pointer: UnsafeMutablePointer<CChar>? = nil
                guard H5Aread(attribute, memType, &pointer) >= 0, let pointer else { return nil }
                defer { H5free_memory(pointer) }
                return .string(String(cString: pointer))
            }
            let size = H5Tget_size(type)
            var buffer = [CChar](repeating: 0, count: size + 1)
            guard H5Aread(attribute, type, &buffer) >= 0 else { return nil }
            return .string(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        if typeClass == H5T_INTEGER && count == 1 {
            var value: Int64 = 0
            guard H5Aread(attribute, tnb_H5T_NATIVE_INT64(), &value) >= 0 else { return nil }
            return .int(value)
        }
        if typeClass == H5T_FLOAT || typeClass == H5T_INTEGER {
            var values = [Double](repeating: 0, count: count)
            let status = values.withUnsafeMutableBytes { H5Aread(attribute, tnb_H5T_NATIVE_DOUBLE(), $0.baseAddress) }
            guard status >= 0 else { return nil }
            return count == 1 && H5Sget_simple_extent_ndims(space) == 0 ? .double(values[0]) : .doubles(values)
        }
        return nil
    }
}
