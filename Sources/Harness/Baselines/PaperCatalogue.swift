import Foundation

/// `Baselines/papers/paper-baselines.json`: every number the papers report, with sources. The
/// harness judges from the per-suite files (`Baselines/<suite>.json`); this catalogue is where
/// their `paper_id`s point, so an id that names no result in it is an error (a typo would
/// otherwise leave a suite's numbers without their source, unnoticed).
public struct PaperCatalogue: Sendable, Equatable {
    /// The ids of the catalogue's results, in file order.
    public var ids: [String]

    public init(ids: [String]) { self.ids = ids }

    /// The catalogue's path under a baselines directory.
    public static func path(in baselines: String) -> String { "\(baselines)/papers/paper-baselines.json" }

    /// Loads the catalogue of a baselines directory.
    ///
    /// - Throws: ``HarnessError`` `.malformedBaseline` when it is missing or not the catalogue's shape.
    public static func load(from baselines: String) throws -> PaperCatalogue {
        let file = path(in: baselines)
        guard let data = FileManager.default.contents(atPath: file) else {
            throw HarnessError(.malformedBaseline, "\(file): (file): missing or unreadable")
        }
        return try parse(data, file: file)
    }

    /// Reads the ids of `results[].id`, with errors naming `file`.
    ///
    /// - Throws: ``HarnessError`` `.malformedBaseline` for invalid JSON, a missing `results`
    ///   array, a result without a string id, or an id that appears twice.
    public static func parse(_ data: Data, file: String) throws -> PaperCatalogue {
        func fail(_ field: String, _ problem: String) -> HarnessError {
            HarnessError(.malformedBaseline, "\(file): \(field): \(problem)")
        }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: data) else { throw fail("(file)", "not valid JSON") }
        guard case .object(let root) = value, case .array(let results)? = root["results"] else {
            throw fail("results", "missing or not an array")
        }
        var ids: [String] = []
        for (index, result) in results.enumerated() {
            guard case .object(let object) = result, let id = object["id"]?.string, !id.isEmpty else {
                throw fail("results[\(index)].id", "missing, empty or not a string")
            }
            guard !ids.contains(id) else { throw fail("results[\(index)].id", "'\(id)' appears twice") }
            ids.append(id)
        }
        return PaperCatalogue(ids: ids)
    }

    /// Checks that a suite's paper file names a result of the catalogue.
    ///
    /// - Parameter file: the paper file, for the message.
    /// - Throws: ``HarnessError`` `.malformedBaseline` naming the file, the id and the known ids.
    public func check(_ paper: PaperBaselines, file: String) throws {
        guard !ids.contains(paper.paperID) else { return }
        throw HarnessError(
            .malformedBaseline,
            "\(file): paper_id: '\(paper.paperID)' is not a result of papers/paper-baselines.json; its ids: \(ids.joined(separator: ", "))")
    }
}
