import Foundation
import Testing

/// The documentation a newcomer reads first: the README stays a short first read, every page of
/// docs/ is reachable from it, and every relative link of README.md, ARCHITECTURE.md and docs/*.md
/// names a file that exists and, with an anchor, a heading that is there (GitHub's heading ids).
@Suite("Documentation: links and pages")
struct DocsLinksTests {
    static let root = TestSupport.packageRoot

    static var pages: [String] {
        let docs = (try? FileManager.default.contentsOfDirectory(atPath: "\(root)/docs")) ?? []
        return ["README.md", "ARCHITECTURE.md"] + docs.filter { $0.hasSuffix(".md") }.sorted().map { "docs/\($0)" }
    }

    @Test func readmeIsAFirstRead() throws {
        let lines = try String(contentsOfFile: "\(Self.root)/README.md", encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count <= 300, "README.md has \(lines.count) lines: reference material belongs in docs/")
    }

    @Test func everyPageIsLinkedFromTheReadme() throws {
        let readme = try String(contentsOfFile: "\(Self.root)/README.md", encoding: .utf8)
        let targets = Set(Self.links(in: readme).map { $0.split(separator: "#", maxSplits: 1).first.map(String.init) ?? $0 })
        for page in Self.pages where page != "README.md" {
            #expect(targets.contains(page), "README.md does not link \(page)")
        }
    }

    @Test(arguments: pages)
    func relativeLinksResolve(page: String) throws {
        let text = try String(contentsOfFile: "\(Self.root)/\(page)", encoding: .utf8)
        let folder = (page as NSString).deletingLastPathComponent
        for link in Self.links(in: text) {
            if link.hasPrefix("http://") || link.hasPrefix("https://") || link.hasPrefix("mailto:") { continue }
            let parts = link.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let file = parts[0].isEmpty ? page : (folder.isEmpty ? parts[0] : "\(folder)/\(parts[0])")
            let path = (("\(Self.root)/\(file)") as NSString).standardizingPath
            #expect(FileManager.default.fileExists(atPath: path), "\(page): the link \(link) names \(file), which does not exist")
            guard parts.count == 2, file.hasSuffix(".md"), FileManager.default.fileExists(atPath: path) else { continue }
            let target = try String(contentsOfFile: path, encoding: .utf8)
            #expect(Self.anchors(in: target).contains(parts[1]), "\(page): the link \(link): \(file) has no heading with the id \(parts[1])")
        }
    }

    @Test func slugsFollowGitHub() {
        #expect(Self.slug("Safety: what Settle touches") == "safety-what-settle-touches")
        #expect(Self.slug("Continuous operation: `settle watch`") == "continuous-operation-settle-watch")
        #expect(Self.slug("Matching passes (`--match FILE.yaml`) and open items") == "matching-passes---match-fileyaml-and-open-items")
    }

    /// Targets of `[text](target)` links outside fenced code blocks and inline code.
    static func links(in text: String) -> [String] {
        var out: [String] = []
        for line in proseLines(text) {
            let prose = line.replacingOccurrences(of: "`[^`]*`", with: "", options: .regularExpression)
            let regex = try! NSRegularExpression(pattern: #"\]\(([^)\s]+)\)"#)
            for match in regex.matches(in: prose, range: NSRange(prose.startIndex..., in: prose)) {
                out.append(String(prose[Range(match.range(at: 1), in: prose)!]))
            }
        }
        return out
    }

    /// The ids GitHub gives the headings of a page.
    static func anchors(in text: String) -> Set<String> {
        Set(proseLines(text).compactMap { line -> String? in
            guard let hashes = line.firstIndex(where: { $0 != "#" }), hashes != line.startIndex,
                  line[hashes] == " " else { return nil }
            return slug(String(line[line.index(after: hashes)...]))
        })
    }

    /// GitHub's heading id: lower case, punctuation other than `-` and `_` dropped, spaces to `-`.
    static func slug(_ heading: String) -> String {
        String(heading.lowercased().unicodeScalars.filter { scalar in
            CharacterSet.alphanumerics.contains(scalar) || scalar == "-" || scalar == "_" || scalar == " "
        }.map(Character.init)).replacingOccurrences(of: " ", with: "-")
    }

    static func proseLines(_ text: String) -> [String] {
        var fenced = false
        return text.split(separator: "\n", omittingEmptySubsequences: false).compactMap { line in
            if line.hasPrefix("```") { fenced.toggle(); return nil }
            return fenced ? nil : String(line)
        }
    }
}
