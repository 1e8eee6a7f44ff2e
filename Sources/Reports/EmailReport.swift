import Foundation
import PlanData
import Rules

/// An address that is not one addr-spec (see `EmailAddress`).
public struct EmailError: Error, CustomStringConvertible {
    public var address: String
    public var problem: String
    public var description: String { "'\(address)' is not one email address: \(problem)" }
}

/// One email: the recipient and the whole RFC 5322 message.
public struct Email: Sendable {
    public var recipient: String
    public var address: String
    public var subject: String
    public var findings: Int
    public var message: String
}

/// Builds one message per recipient: the findings they own and those escalated to them, as
/// plain text and HTML (MIME multipart/alternative, UTF-8, quoted-printable), with headers that
/// plan text cannot break (no CR/LF, non-ASCII as RFC 2047 encoded words).
public enum EmailReport {
    /// Findings per person: owners get their own (not waived); escalation recipients get what
    /// reached their level. Sorted by name for a stable order.
    public static func byRecipient(_ result: CheckResult) -> [(name: String, findings: [Finding])] {
        var map: [String: [Finding]] = [:]
        for f in result.findings where f.waiver == nil {
            var people = Set(f.owners)
            if let e = f.escalation, e.id != "owner" { people.formUnion(e.recipients) }
            for p in people { map[p, default: []].append(f) }
        }
        return map.keys.sorted().map { ($0, map[$0]!) }
    }

    /// The message to one recipient; throws when `address` or `from` is not one addr-spec.
    public static func message(to name: String, address: String, findings: [Finding], result: CheckResult,
                               from: String, date: Date) throws -> Email {
        let plan = result.planName ?? result.planFile
        let counts = Severity.allCases.reversed().filter { $0 != .off }.compactMap { level -> String? in
            let n = findings.filter { $0.severity == level }.count
            return n > 0 ? "\(n) \(level.rawValue)" : nil
        }
        let subject = "[stocktake] \(findings.count) escalation\(findings.count == 1 ? "" : "s") (\(counts.joined(separator: ", "))) — \(plan) — \(result.asOf)"
        var text = "Dear \(name),\n\nThe check of \(plan) as of \(result.asOf) found \(findings.count) item\(findings.count == 1 ? "" : "s") for you:\n"
        var html = "<html><body><p>Dear \(HTMLReport.esc(name)),</p><p>The check of <strong>\(HTMLReport.esc(plan))</strong> as of \(result.asOf) found \(findings.count) item\(findings.count == 1 ? "" : "s") for you:</p>\n<table border=\"1\" cellpadding=\"4\" cellspacing=\"0\"><thead><tr><th>Severity</th><th>Ref</th><th>Finding</th><th>Why you</th></tr></thead><tbody>\n"
        for f in findings {
            let why = f.owners.contains(name) ? "owner" : "escalated to \(f.escalation?.name ?? "you")"
            text += "\n- \(f.severity.rawValue.uppercased()) \(f.ref): \(f.message)\n  (\(why); \(f.rule); \(f.source))\n"
            html += "<tr><td><strong>\(f.severity.rawValue)</strong></td><td>\(HTMLReport.esc(f.ref))</td><td>\(HTMLReport.esc(f.message))</td><td>\(HTMLReport.esc(why))</td></tr>\n"
        }
        text += "\nThis message was sent by stocktake (rule set \(result.ruleSet) v\(result.ruleSetVersion)).\n"
        html += "</tbody></table><p>This message was sent by stocktake (rule set \(HTMLReport.esc(result.ruleSet)) v\(HTMLReport.esc(result.ruleSetVersion))).</p></body></html>\n"

        let domain = from.split(separator: "@").last.map(String.init) ?? "stocktake.invalid"
        let id = Fingerprint.of([address, subject, text])
        let boundary = "stocktake-\(id)"
        var m = ""
        m += "From: " + (try mailbox("stocktake", from)) + "\r\n"
        m += "To: " + (try mailbox(name, address)) + "\r\n"
        m += "Subject: " + encodedWords(subject) + "\r\n"
        m += "Date: " + rfc5322(date) + "\r\n"
        m += "Message-ID: <\(id).\(Int(date.timeIntervalSince1970))@\(header(domain))>\r\n"
        m += "MIME-Version: 1.0\r\n"
        m += "Auto-Submitted: auto-generated\r\n"
        m += "Content-Type: multipart/alternative; boundary=\"\(boundary)\"\r\n\r\n"
        // Plan text reaches the reader's screen: no control or bidirectional characters act there.
        for (type, body) in [("text/plain", TerminalText.visible(text)), ("text/html", TerminalText.visible(html))] {
            m += "--\(boundary)\r\nContent-Type: \(type); charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            m += quotedPrintable(body) + "\r\n"
        }
        m += "--\(boundary)--\r\n"
        return Email(recipient: name, address: address, subject: subject, findings: findings.count, message: m)
    }

    /// One mailbox, `Name <address>`, that a mail parser reads as one recipient whatever the name
    /// holds. A name of only letters, digits and spaces is written as it is, quoted; one with
    /// anything else (commas, colons, angle brackets, quotes, `@`) as a quoted string with `"` and
    /// `\` escaped, when it is ASCII, and as RFC 2047 encoded words otherwise. The address must
    /// be one addr-spec (the owner directory checks this when it is loaded).
    static func mailbox(_ name: String, _ address: String) throws -> String {
        if let problem = EmailAddress.problem(address) { throw EmailError(address: address, problem: problem) }
        let clean = header(name).trimmingCharacters(in: .whitespaces)
        guard !clean.isEmpty else { return "<\(address)>" }
        let display: String
        if clean.unicodeScalars.allSatisfy({ $0.isASCII }) {
            display = "\"" + clean.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        } else {
            display = encodedWords(clean, always: true)
        }
        return "\(display) <\(address)>"
    }

    /// A header value with line breaks and other control characters removed: plan text cannot add headers.
    public static func header(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }))
    }

    /// RFC 2047 encoded words (base64), each short enough to keep header lines under 78 characters.
    /// Short ASCII text (a subject) is left as it is unless `always`: a display name is always
    /// encoded, since its words would otherwise be read as address syntax.
    static func encodedWords(_ s: String, always: Bool = false) -> String {
        let clean = header(s)
        if !always && clean.allSatisfy({ $0.isASCII }) && clean.count < 70 { return clean }
        var words: [String] = []
        var chunk = ""
        for c in clean {
            if (chunk + String(c)).utf8.count > 42 {
                words.append("=?utf-8?B?\(Data(chunk.utf8).base64EncodedString())?=")
                chunk = ""
            }
            chunk.append(c)
        }
        if !chunk.isEmpty { words.append("=?utf-8?B?\(Data(chunk.utf8).base64EncodedString())?=") }
        return words.joined(separator: "\r\n ")
    }

    /// Quoted-printable (RFC 2045): lines of at most 76 characters, CRLF line ends.
    static func quotedPrintable(_ s: String) -> String {
        var out: [String] = []
        for line in s.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false) {
            var encoded = ""
            var current = ""
            let bytes = Array(line.utf8)
            for (i, b) in bytes.enumerated() {
                let isLast = i == bytes.count - 1
                var piece: String
                if (b >= 33 && b <= 126 && b != 61) || (b == 32 && !isLast) || (b == 9 && !isLast) {
                    piece = String(UnicodeScalar(b))
                } else {
                    piece = String(format: "=%02X", b)
                }
                if current.count + piece.count > 75 {
                    encoded += current + "=\r\n"
                    current = ""
                }
                current += piece
            }
            encoded += current
            out.append(encoded)
        }
        return out.joined(separator: "\r\n")
    }

    static func rfc5322(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return f.string(from: date)
    }
}
