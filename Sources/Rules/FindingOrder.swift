import Foundation
import PlanData

/// The order findings are reported in, and the merging of a plan's parts into one result.
extension CheckResult {
    /// Findings in priority order: severity, then priority, then ref (naturally), rule, file and line.
    static func prioritised(_ findings: [Finding]) -> [Finding] {
        priorityOrder(findings).map { findings[$0] }
    }

    /// The findings' indexes in priority order. Sort keys laid out side by side, refs in one byte
    /// arena, rules and files by rank: with millions of findings, following a pointer per
    /// comparison is what costs. Keys are made a chunk at a time on every core, and freed on
    /// return, before the findings are copied in order.
    private static func priorityOrder(_ findings: [Finding]) -> [Int] {
        let sort = SortKeys(joining: findings.concurrentMapChunks(minimumChunk: 1 << 16) { [SortKeys($0)] })
        return sort.arena.withUnsafeBufferPointer { bytes in
            sort.keys.withUnsafeBufferPointer { k in
                parallelSorted(findings.count) { i, j in
                    let a = k[i], b = k[j]
                    if a.severity != b.severity { return a.severity > b.severity }
                    if a.priority != b.priority { return a.priority > b.priority }
                    // Keys order as the refs do wherever both have one (see `naturalKey`).
                    if a.natural != b.natural, a.natural != .max, b.natural != .max { return a.natural < b.natural }
                    let x = UnsafeBufferPointer(rebasing: bytes[a.ref]), y = UnsafeBufferPointer(rebasing: bytes[b.ref])
                    if x.count != y.count || memcmp(x.baseAddress!, y.baseAddress!, x.count) != 0 { return naturalLess(x, y) }
                    if a.rule != b.rule { return a.rule < b.rule }
                    if a.file != b.file { return a.file < b.file }
                    return a.line < b.line
                }
            }
        }
    }

    /// `0..<count` ordered by `less`: chunks sorted on every core, then merged.
    private static func parallelSorted(_ count: Int, by less: (Int, Int) -> Bool) -> [Int] {
        let chunk = max(1 << 16, (count + 3) / 4)
        var runs = Array(stride(from: 0, to: count, by: chunk)).concurrentMap(minimumChunk: 1) { start in
            Array(start..<min(count, start + chunk)).sorted(by: less)
        }
        while runs.count > 1 {
            var merged: [[Int]] = []
            for pair in stride(from: 0, to: runs.count, by: 2) {
                guard pair + 1 < runs.count else { merged.append(runs[pair]); continue }
                let a = runs[pair], b = runs[pair + 1]
                var out: [Int] = []
                out.reserveCapacity(a.count + b.count)
                var i = 0, j = 0
                // Stable: on a tie the earlier run's element comes first.
                while i < a.count, j < b.count {
                    if less(b[j], a[i]) { out.append(b[j]); j += 1 } else { out.append(a[i]); i += 1 }
                }
                out += a[i...]
                out += b[j...]
                merged.append(out)
            }
            runs = merged
        }
        return runs.first ?? []
    }

    /// One result from the results of a plan's parts (same rules, same run), in priority order.
    static func merging(_ parts: [CheckResult]) -> CheckResult {
        var merged = parts[0]
        for part in parts.dropFirst() {
            merged.records += part.records
            merged.findings += part.findings
            for i in merged.stats.indices {
                merged.stats[i].examined += part.stats[i].examined
                merged.stats[i].flagged += part.stats[i].flagged
                merged.stats[i].errors += part.stats[i].errors
            }
            merged.severityCounts.merge(part.severityCounts, uniquingKeysWith: +)
        }
        merged.findings = prioritised(merged.findings)
        return merged
    }
}

/// The sort keys of findings, side by side, with their refs in one byte arena.
private struct SortKeys: Sendable {
    struct Key {
        var severity: Int
        var priority: Int
        /// `naturalKey` of the ref, or `UInt64.max` when it has none.
        var natural: UInt64
        var ref: Range<Int>
        /// Indexes into `rules` and `files` until joined, ranks in their sorted order after.
        var rule: Int
        var file: Int
        var line: Int
    }

    var keys: [Key] = []
    var arena: [UInt8] = []
    var rules = Names(), files = Names()

    /// The keys of a chunk of findings.
    init(_ findings: ArraySlice<Finding>) {
        keys.reserveCapacity(findings.count)
        for f in findings {
            let start = arena.count
            arena.append(contentsOf: f.ref.utf8)
            let natural = arena.withUnsafeBufferPointer { naturalKey(UnsafeBufferPointer(rebasing: $0[start...])) }
            keys.append(Key(severity: f.severity.rank, priority: f.priority, natural: natural ?? .max, ref: start..<arena.count,
                            rule: rules.index(f.rule), file: files.index(f.source.file), line: f.source.line))
        }
    }

    /// The chunks' keys in order, with one arena and names replaced by their ranks.
    init(joining chunks: [SortKeys]) {
        let ruleRank = Names.ranks(chunks.map(\.rules)), fileRank = Names.ranks(chunks.map(\.files))
        keys.reserveCapacity(chunks.reduce(0) { $0 + $1.keys.count })
        for (c, chunk) in chunks.enumerated() {
            let base = arena.count
            arena += chunk.arena
            for var key in chunk.keys {
                key.ref = (key.ref.lowerBound + base)..<(key.ref.upperBound + base)
                key.rule = ruleRank[c][key.rule]
                key.file = fileRank[c][key.file]
                keys.append(key)
            }
        }
    }
}

/// Names (rule ids, file paths) as small numbers, ranked in their sorted order once all are seen.
/// Consecutive findings mostly share a name, so the last one is checked first.
private struct Names: Sendable {
    private var index: [String: Int] = [:]
    private var names: [String] = []
    private var last: (name: String, index: Int)?

    mutating func index(_ name: String) -> Int {
        if let last, last.name == name { return last.index }
        let i = index[name] ?? { index[name] = names.count; names.append(name); return names.count - 1 }()
        last = (name, i)
        return i
    }

    /// For each chunk's names, by index, the rank of the name among all chunks' names sorted.
    static func ranks(_ chunks: [Names]) -> [[Int]] {
        let sorted = Array(Set(chunks.flatMap(\.names))).sorted()
        let rank = Dictionary(uniqueKeysWithValues: sorted.enumerated().map { ($1, $0) })
        return chunks.map { $0.names.map { rank[$0]! } }
    }
}
