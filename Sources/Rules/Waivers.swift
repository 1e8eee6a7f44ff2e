import Expressions
import Foundation
import PlanData
import YAML

/// An approved exception: a rule's findings on matching records are not counted for the exit
/// code until the waiver expires, but stay visible and are reported as waived.
public struct Waiver: Sendable {
    public var rule: String
    /// A ref, or a glob over refs (`2.*`, `1.?`); nil when the waiver names a fingerprint.
    public var ref: String?
    public var fingerprint: String?
    public var reason: String
    public var approvedBy: String
    public var expires: Day
    public var file: String
    public var line: Int

    /// What the waiver names, for messages.
    public var target: String { ref.map { "ref \($0)" } ?? "fingerprint \(fingerprint ?? "")" }

    func matches(_ f: Finding) -> Bool {
        guard f.rule == rule else { return false }
        if let fingerprint { return f.fingerprint == fingerprint }
        return ref.map { Glob.matches($0, f.ref) } ?? false
    }
}

public enum WaiverLoader {
    /// Reads a waivers file strictly: every entry needs rule, ref or fingerprint, reason,
    /// approved-by and expires; problems are diagnostics with positions (exit 3), all of them.
    public static func load(path: String, ruleSet: RuleSet) throws(RuleSetError) -> [Waiver] {
        var problems: [Diagnostic] = []
        func report(_ mark: Mark, _ message: String) {
            problems.append(Diagnostic(file: path, line: mark.line, column: mark.column, message))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RuleSetError(diagnostics: [Diagnostic(file: path, line: 1, column: 1, "no such file")])
        }
        let root: Node
        do {
            guard let node = try YAMLParser.parse([UInt8](data)) else {
                throw RuleSetError(diagnostics: [Diagnostic(file: path, line: 1, column: 1, "waivers file is empty")])
            }
            root = node
        } catch let e as YAMLError {
            throw RuleSetError(diagnostics: [Diagnostic(file: path, line: e.mark.line, column: e.mark.column, e.message)])
        } catch let e as RuleSetError {
            throw e
        } catch {
            throw RuleSetError(diagnostics: [Diagnostic(file: path, line: 1, column: 1, "\(error)")])
        }
        guard let items = root["waivers"]?.sequence ?? root.sequence else {
            throw RuleSetError(diagnostics: [Diagnostic(file: path, line: root.mark.line, column: root.mark.column,
                                                        "a waivers file is a list under 'waivers:'")])
        }
        let keys = ["rule", "ref", "fingerprint", "reason", "approved-by", "expires"]
        let ruleIds = ruleSet.rules.map(\.id)
        var waivers: [Waiver] = []
        for item in items {
            guard let pairs = item.mapping else { report(item.mark, "each waiver is a mapping"); continue }
            for p in pairs where !keys.contains(p.key.scalar ?? "") {
                report(p.key.mark, "unknown key '\(p.key.scalar ?? "")'" + Suggest.hint(for: p.key.scalar ?? "", among: keys))
            }
            func text(_ key: String) -> String? {
                guard let n = item[key], let s = n.scalar, !n.isNull, !s.allSatisfy(\.isWhitespace) else { return nil }
                return s
            }
            let before = problems.count
            let rule = text("rule")
            if rule == nil { report(item.mark, "waiver without 'rule'") }
            if let rule, !ruleIds.contains(rule) {
                report(item["rule"]!.mark, "no rule '\(rule)' in the rule set" + Suggest.hint(for: rule, among: ruleIds))
            }
            let ref = text("ref"), fingerprint = text("fingerprint")
            if (ref == nil) == (fingerprint == nil) { report(item.mark, "a waiver names either 'ref' (or a glob over refs) or 'fingerprint'") }
            for key in ["reason", "approved-by"] where text(key) == nil {
                report(item.mark, "waiver without '\(key)': every waiver says why and who approved it")
            }
            let expires = text("expires").flatMap(Day.init(iso:))
            if expires == nil { report(item["expires"]?.mark ?? item.mark, "waiver needs 'expires: YYYY-MM-DD'") }
            guard problems.count == before, let rule, let expires else { continue }
            waivers.append(Waiver(rule: rule, ref: ref, fingerprint: fingerprint, reason: text("reason")!,
                                  approvedBy: text("approved-by")!, expires: expires, file: path, line: item.mark.line))
        }
        if !problems.isEmpty {
            throw RuleSetError(diagnostics: problems.sorted { ($0.line, $0.column) < ($1.line, $1.column) })
        }
        return waivers
    }
}

extension CheckResult {
    /// Marks findings that live waivers cover, and reports waivers that have expired
    /// (`waiver-expired`) or matched nothing (`waiver-unused`). Severity counts, and so the
    /// exit code, then leave waived findings out.
    public func applying(_ waivers: [Waiver]) -> CheckResult {
        guard !waivers.isEmpty else { return self }
        var used = Set<Int>()
        var out = self
        out.findings = findings.map { f in
            guard let i = waivers.indices.first(where: { waivers[$0].matches(f) && waivers[$0].expires >= asOf }) else { return f }
            used.insert(i)
            return f.waived(by: waivers[i])
        }
        for (i, w) in waivers.enumerated() {
            let expired = w.expires < asOf
            guard expired || !used.contains(i) else { continue }
            let rule = expired ? "waiver-expired" : "waiver-unused"
            let message = expired
                ? "the waiver of \(w.rule) for \(w.target) expired on \(w.expires) (approved by \(w.approvedBy): \(w.reason))"
                : "the waiver of \(w.rule) for \(w.target) matched no finding; remove it or correct it"
            out.findings.append(Finding(rule: rule, title: expired ? "Waiver expired" : "Waiver matches nothing",
                                        severity: expired ? .warning : .info, statutory: false, ref: w.ref ?? w.fingerprint ?? "",
                                        message: message, owners: [w.approvedBy], escalateTo: [],
                                        source: SourceLocation(file: w.file, line: w.line), values: [],
                                        priority: (expired ? Severity.warning : Severity.info).rankWeight,
                                        fingerprint: Fingerprint.of([rule, w.rule, w.ref ?? w.fingerprint ?? ""]), evaluationError: false))
        }
        out.findings = CheckResult.prioritised(out.findings)
        out.recount()
        return out
    }

    /// Severity counts from the findings that count: not waived, not already in a baseline.
    public mutating func recount() {
        severityCounts = [:]
        for f in findings where f.waiver == nil { severityCounts[f.severity, default: 0] += 1 }
    }
}

/// `*` and `?` over refs, for waivers such as `2.*`.
enum Glob {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern), t = Array(text)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count && (p[pi] == "?" || p[pi] == t[ti]) {
                pi += 1; ti += 1
            } else if pi < p.count && p[pi] == "*" {
                star = pi; mark = ti; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; ti = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
