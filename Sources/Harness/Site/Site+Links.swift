import Foundation

extension Site {
    /// One link of a page that leads nowhere.
    public struct BrokenLink: Sendable, Equatable, CustomStringConvertible {
        /// The page, relative to the site.
        public var page: String
        /// The attribute's value as written.
        public var target: String
        public var reason: String

        public var description: String { "\(page): \(target): \(reason)" }
    }

    /// Every link, image and embedded object of the site's pages (`href`, `src`, `data`) that
    /// leads nowhere: a relative target whose file is missing, or whose `#fragment` names no
    /// element of the target page. Links to other sites (`http:`, `https:`, `mailto:`) are not
    /// followed: the site must work without a network, and those pages are not ours.
    public static func brokenLinks(in site: String) -> [BrokenLink] {
        let root = URL(fileURLWithPath: site).standardizedFileURL
        guard let enumerator = FileManager.default.enumerator(atPath: root.path) else {
            return [BrokenLink(page: site, target: "", reason: "not a readable directory")]
        }
        var pages: [String] = []
        for case let path as String in enumerator where path.hasSuffix(".html") { pages.append(path) }
        var idsByPage: [String: Set<String>] = [:]
        func ids(of file: URL) -> Set<String>? {
            if let known = idsByPage[file.path] { return known }
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { return nil }
            let found = Set(attributeValues(in: text, names: ["id", "name"]).map(\.value))
            idsByPage[file.path] = found
            return found
        }
        var broken: [BrokenLink] = []
        for page in pages.sorted() {
            let file = root.appendingPathComponent(page)
            guard let text = try? String(contentsOf: file, encoding: .utf8) else {
                broken.append(BrokenLink(page: page, target: "", reason: "not readable as UTF-8"))
                continue
            }
            for (_, raw) in attributeValues(in: text, names: ["href", "src", "data"]) {
                let target = unescape(raw)
                let lower = target.lowercased()
                if lower.hasPrefix("http:") || lower.hasPrefix("https:") || lower.hasPrefix("mailto:") { continue }
                if lower.hasPrefix("javascript:") || lower.hasPrefix("file:") || target.hasPrefix("/") || lower.hasPrefix("data:") {
                    broken.append(BrokenLink(page: page, target: raw, reason: "not a relative link inside the site"))
                    continue
                }
                let parts = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                let path = parts[0].removingPercentEncoding ?? parts[0]
                let fragment = parts.count > 1 ? parts[1] : nil
                let destination = path.isEmpty ? file : file.deletingLastPathComponent().appendingPathComponent(path).standardizedFileURL
                guard destination.path.hasPrefix(root.path + "/") || destination.path == root.path else {
                    broken.append(BrokenLink(page: page, target: raw, reason: "leads outside the site"))
                    continue
                }
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: destination.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                    broken.append(BrokenLink(page: page, target: raw, reason: "no such file"))
                    continue
                }
                if let fragment, !fragment.isEmpty, destination.pathExtension == "html", ids(of: destination)?.contains(fragment) != true {
                    broken.append(BrokenLink(page: page, target: raw, reason: "no element with id '\(fragment)'"))
                }
            }
        }
        return broken
    }

    /// The values of the named attributes in HTML text (double- or single-quoted).
    static func attributeValues(in text: String, names: Set<String>) -> [(name: String, value: String)] {
        var found: [(String, String)] = []
        let scalars = Array(text.unicodeScalars)
        var index = 0
        func isNameCharacter(_ s: Unicode.Scalar) -> Bool { s.properties.isAlphabetic || s == "-" || s == "_" }
        while index < scalars.count {
            guard scalars[index] == "=" else { index += 1; continue }
            // The attribute name before `=`, and a quote after it.
            var start = index
            while start > 0 && isNameCharacter(scalars[start - 1]) { start -= 1 }
            let name = String(String.UnicodeScalarView(scalars[start..<index])).lowercased()
            let quoteIndex = index + 1
            guard start > 0, scalars[start - 1] == " " || scalars[start - 1] == "\n" || scalars[start - 1] == "\t",
                names.contains(name), quoteIndex < scalars.count, scalars[quoteIndex] == "\"" || scalars[quoteIndex] == "'"
            else { index += 1; continue }
            let quote = scalars[quoteIndex]
            var end = quoteIndex + 1
            while end < scalars.count && scalars[end] != quote { end += 1 }
            found.append((name, String(String.UnicodeScalarView(scalars[(quoteIndex + 1)..<min(end, scalars.count)]))))
            index = end + 1
        }
        return found
    }

    /// The text of an attribute value with the entities ``escape(_:)`` writes turned back.
    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
