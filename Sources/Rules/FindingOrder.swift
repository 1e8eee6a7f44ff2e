import Foundation
import PlanData

/// The order findings are reported in, and the merging of a plan's parts into one result.
extension CheckResult {
    /// Findings in priority order: severity, then priority, then ref (naturally), rule, file and line.
    static func prioritised(_ findings: [Finding]) -> [Finding] { prioritised([findings]) }

    /// The findings of several lists (a plan's parts, each from one core) in one list, in
    /// priority order, without first joining them.
    static func prioritised(_ lists: [[Finding]]) -> [Finding] {
        var starts = [0]
        for list in lists { starts.append(starts.last! + list.count) }
        let findings = Joined(lists: lists, starts: starts)
        let order = priorityOrder(findings)
        return [Finding](count: findings.count) { findings[order[$0]] }
    }

    /// Several lists of findings read as one, without copying them.
    struct Joined: Sendable {
        let lists: [[Finding]]
        let starts: [Int]
        var count: Int { starts.last! }

        subscript(i: Int) -> Finding {
            var list = 0
            while i >= starts[list + 1] { list += 1 }
            return lists[list][i - starts[list]]
        }
    }

    /// The findings' indexes in priority order. Sort keys laid out side by side, refs in one byte
    /// arena, rules and files by rank: with millions of findings, following a pointer per
    /// comparison is what costs. Keys are made on every core, and freed on return.
    private static func priorityOrder(_ findings: Joined) -> [Int] {
        let sort = SortKeys(findings)
        return sort.arena.withUnsafeBufferPointer { bytes in
            sort.keys.withUnsafeBufferPointer { k in
                parallelSorted(findings.count) { i, j in
                    let a = k[i], b = k[j]
                    if a.severity != b.severity { return a.severity > b.severity }
                    if a.priority != b.priority { return a.priority > b.priority }
                    // Keys order as the refs do wherever both have one (see `naturalKey`).
                    if a.natural != b.natural, a.natural != .max, b.natural != .max { return a.natural < b.natural }
                    let x = UnsafeBufferPointer(rebasing: bytes[Int(a.ref.lowerBound)..<Int(a.ref.upperBound)])
                    let y = UnsafeBufferPointer(rebasing: bytes[Int(b.ref.lowerBound)..<Int(b.ref.upperBound)])
                    if x.count != y.count || (x.count > 0 && memcmp(x.baseAddress!, y.baseAddress!, x.count) != 0) { return naturalLess(x, y) }
                    if a.rule != b.rule { return a.rule < b.rule }
                    if a.file != b.file { return a.file < b.file }
                    return a.line < b.line
                }
            }
        }
    }
    /// `0..<count` ordered by `less`, stably: two halves sorted at once, then merged from both
    /// ends at once (the first half of the output from the halves' fronts, the rest from what
    /// follows; where they meet is found by bisection, as in merge path).
    static func parallelSorted(_ count: Int, by less: (Int, Int) -> Bool) -> [Int] {
        guard count > 1 << 16 else { return Array(0..<count).sorted(by: less) }
        let halves = [0..<count / 2, count / 2..<count].concurrentMap(minimumChunk: 1) { Array($0).sorted(by: less) }
        let (a, b) = (halves[0], halves[1]), k = count / 2
        // The first k of the merged order are a[..<i] and b[..<(k - i)]: the least i for which
        // b[k - i - 1] comes before a[i] (stable: on a tie a's element comes first).
        var lo = max(0, k - b.count), hi = min(k, a.count)
        while lo < hi {
            let mid = (lo + hi) / 2
            if !less(b[k - mid - 1], a[mid]) { lo = mid + 1 } else { hi = mid }
        }
        let (i, j) = (lo, k - lo)
        return [Int](unsafeUninitializedCapacity: count) { out, initialized in
            let out = UncheckedPointer(out.baseAddress)
            _ = [0, 1].concurrentMap(minimumChunk: 1) { part in
                if part == 0 {
                    merge(a[..<i], b[..<j], into: out.value!, by: less)
                } else {
                    merge(a[i...], b[j...], into: out.value! + k, by: less)
                }
            }
            initialized = count
        }
    }

    /// A stable merge of two ordered runs (on a tie, `a`'s element first).
    private static func merge(_ a: ArraySlice<Int>, _ b: ArraySlice<Int>, into out: UnsafeMutablePointer<Int>, by less: (Int, Int) -> Bool) {
        var i = a.startIndex, j = b.startIndex, n = 0
        while i < a.endIndex, j < b.endIndex {
            if less(b[j], a[i]) { out[n] = b[j]; j += 1 } else { out[n] = a[i]; i += 1 }
            n += 1
        }
        for x in a[i...] { out[n] = x; n += 1 }
        for x in b[j...] { out[n] = x; n += 1 }
    }

    /// One result from the results of a plan's parts (same rules, same run), in priority order.
    static func merging(_ parts: [CheckResult]) -> CheckResult {
        var merged = parts[0]
        for part in parts.dropFirst() {
            merged.records += part.records
            for i in merged.stats.indices {
                merged.stats[i].examined += part.stats[i].examined
                merged.stats[i].flagged += part.stats[i].flagged
                merged.stats[i].errors += part.stats[i].errors
            }
            merged.severityCounts.merge(part.severityCounts, uniquingKeysWith: +)
            merged.digests += part.digests
            for i in merged.measures.indices {
                merged.measures[i].cohort += part.measures[i].cohort
                merged.measures[i].met += part.measures[i].met
                merged.measures[i].failed += part.measures[i].failed
            }
        }
        merged.findings = prioritised(parts.map(\.findings))
        return merged
    }
}

/// The sort keys of findings, side by side, with their refs in one byte arena. Made a chunk at
/// a time on every core, each chunk with an arena and names of its own, then joined: the
/// chunks' arenas copied into one, and each key's ref and names moved to their places in it.
private struct SortKeys {
    /// 40 bytes: a million findings' keys are compared about twenty million times.
    struct Key {
        var priority: Int
        /// `naturalKey` of the ref, or `UInt64.max` when it has none.
        var natural: UInt64
        var ref: Range<UInt32>
        var severity: Int32
        /// Indexes into the chunk's `rules` and `files` until joined, ranks in their sorted order after.
        var rule: Int32
        var file: Int32
        /// Lines past 2^31 (never seen in a plan) tie.
        var line: Int32
    }

    let keys: [Key]
    let arena: [UInt8]

    init(_ findings: CheckResult.Joined) {
        let count = findings.count
        let chunks = max(1, min((count + 65_535) / 65_536, 64)), size = (count + chunks - 1) / chunks
        let made = WorkerResults<Chunk>(count: chunks)
        var keys = [Key](repeating: Key(priority: 0, natural: 0, ref: 0..<0, severity: 0, rule: 0, file: 0, line: 0), count: count)
        keys.withUnsafeMutableBufferPointer { out in
            let out = UncheckedPointer(out.baseAddress)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let range = (c * size)..<min(count, (c + 1) * size)
                made.set(c, Chunk(findings, range, into: out.value.map { $0 + range.lowerBound }))
            }
        }
        let parts = made.all
        let ruleRank = Names.ranks(parts.map(\.rules)), fileRank = Names.ranks(parts.map(\.files))
        var arena: [UInt8] = []
        arena.reserveCapacity(parts.reduce(0) { $0 + $1.arena.count })
        let bases = parts.map { part -> UInt32 in
            defer { arena += part.arena }
            return UInt32(arena.count)
        }
        keys.withUnsafeMutableBufferPointer { out in
            let out = UncheckedPointer(out.baseAddress)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                for i in (c * size)..<min(count, (c + 1) * size) {
                    let key = out.value! + i
                    key.pointee.ref = (key.pointee.ref.lowerBound + bases[c])..<(key.pointee.ref.upperBound + bases[c])
                    key.pointee.rule = Int32(ruleRank[c][Int(key.pointee.rule)])
                    key.pointee.file = Int32(fileRank[c][Int(key.pointee.file)])
                }
            }
        }
        self.keys = keys
        self.arena = arena
    }

    /// One chunk's keys, written in place, with its own arena and names.
    private struct Chunk: Sendable {
        var arena: [UInt8] = []
        var rules = Names(), files = Names()

        init(_ findings: CheckResult.Joined, _ range: Range<Int>, into out: UnsafeMutablePointer<Key>?) {
            var lastKind: (kind: ObjectIdentifier, rule: Int32)?
            // A part's batch rows share their file: looked up once per run of them.
            var lastRows: (context: ObjectIdentifier, file: Int32)?
            for (n, i) in range.enumerated() {
                let f = findings[i]
                let start = arena.count
                let file: Int32, line: Int
                if let (rowFile, rowLine) = f.withRow({ row, context -> (Int32, Int) in
                    // A text key's cell is the ref (when not empty): no String made for it.
                    if let key = context.key, let text = row.text(key), !text.isEmpty { arena.append(contentsOf: text) } else {
                        arena.append(contentsOf: f.ref.utf8)
                    }
                    if let lastRows, lastRows.context == ObjectIdentifier(context) { return (lastRows.file, row.line) }
                    let file = Int32(files.index(row.file))
                    lastRows = (ObjectIdentifier(context), file)
                    return (file, row.line)
                }) {
                    (file, line) = (rowFile, rowLine)
                } else {
                    arena.append(contentsOf: f.ref.utf8)
                    let source = f.source
                    (file, line) = (Int32(files.index(source.file)), source.line)
                }
                let natural = arena.withUnsafeBufferPointer { naturalKey(UnsafeBufferPointer(rebasing: $0[start...])) }
                // Findings of one kind share a rule: look its name up once per run of them.
                let rule: Int32
                if let lastKind, lastKind.kind == ObjectIdentifier(f.kind) { rule = lastKind.rule } else {
                    rule = Int32(rules.index(f.rule))
                    lastKind = (ObjectIdentifier(f.kind), rule)
                }
                out![n] = Key(priority: f.priority, natural: natural ?? .max, ref: UInt32(start)..<UInt32(arena.count),
                              severity: Int32(f.severity.rank), rule: rule, file: file, line: Int32(clamping: line))
            }
        }
    }
}

/// A pointer handed to the workers that fill disjoint parts of what it points to.
private struct UncheckedPointer<T>: @unchecked Sendable {
    let value: UnsafeMutablePointer<T>?
    init(_ value: UnsafeMutablePointer<T>?) { self.value = value }
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
