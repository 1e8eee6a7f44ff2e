/// One email address, as RFC 5322 (section 3.4.1) and RFC 5321 (section 4.1.2) define an
/// addr-spec: `local@domain`, with a dot-atom local part and a host name or address literal as
/// the domain. The owner directory and `--from` take only these: an address holding `<`, `>`,
/// `,`, quotes, spaces or line breaks could name several recipients to a mail program that reads
/// the headers (`sendmail -t`). Quoted local parts and non-ASCII (SMTPUTF8) addresses, valid in
/// the RFCs but not needed by any directory, are refused too.
public enum EmailAddress {
    /// Why `s` is not one addr-spec; nil when it is.
    public static func problem(_ s: String) -> String? {
        guard !s.isEmpty else { return "it is empty" }
        if let c = s.unicodeScalars.first(where: { !$0.isASCII }) {
            return "'\(c)' is not ASCII (addresses in other scripts are not supported)"
        }
        guard s.utf8.count <= 254 else { return "it is longer than 254 characters" }
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            return parts.count == 1 ? "it has no '@'" : "it has more than one '@' (one address per owner)"
        }
        let local = parts[0], domain = parts[1]
        guard !local.isEmpty else { return "nothing before the '@'" }
        guard local.utf8.count <= 64 else { return "the part before the '@' is longer than 64 characters" }
        if let c = local.unicodeScalars.first(where: { !isAtext($0) && $0 != "." }) {
            return "\(describe(c)) is not allowed before the '@'"
        }
        if local.hasPrefix(".") || local.hasSuffix(".") || local.contains("..") {
            return "the part before the '@' cannot start or end with a dot, nor hold two in a row"
        }
        return domainProblem(String(domain))
    }

    public static func isValid(_ s: String) -> Bool { problem(s) == nil }

    static func domainProblem(_ domain: String) -> String? {
        guard !domain.isEmpty else { return "nothing after the '@'" }
        if domain.hasPrefix("[") {
            // An address literal: [192.0.2.1] or [IPv6:2001:db8::1].
            guard domain.hasSuffix("]"), domain.count > 2 else { return "an address literal must end with ']'" }
            let inner = domain.dropFirst().dropLast()
            let ipv4 = inner.split(separator: ".", omittingEmptySubsequences: false)
            if ipv4.count == 4, ipv4.allSatisfy({ UInt8($0) != nil && $0.count <= 3 }) { return nil }
            if inner.hasPrefix("IPv6:"), inner.dropFirst(5).allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }),
               inner.dropFirst(5).contains(":") { return nil }
            return "'\(domain)' is not an IPv4 or IPv6 address literal"
        }
        guard domain.utf8.count <= 253 else { return "the domain is longer than 253 characters" }
        for label in domain.split(separator: ".", omittingEmptySubsequences: false) {
            guard !label.isEmpty else { return "the domain cannot start or end with a dot, nor hold two in a row" }
            guard label.count <= 63 else { return "a part of the domain is longer than 63 characters" }
            if let c = label.unicodeScalars.first(where: { !(isLetterOrDigit($0) || $0 == "-") }) {
                return "\(describe(c)) is not allowed in the domain"
            }
            if label.hasPrefix("-") || label.hasSuffix("-") { return "a part of the domain cannot start or end with '-'" }
        }
        return nil
    }

    /// RFC 5322 atext: letters, digits and ! # $ % & ' * + - / = ? ^ _ ` { | } ~
    static func isAtext(_ c: Unicode.Scalar) -> Bool {
        isLetterOrDigit(c) || "!#$%&'*+-/=?^_`{|}~".unicodeScalars.contains(c)
    }

    static func isLetterOrDigit(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c)
    }

    static func describe(_ c: Unicode.Scalar) -> String {
        switch c {
        case " ": return "a space"
        case "\r", "\n": return "a line break"
        case "\t": return "a tab"
        default: return c.value < 0x20 || c.value == 0x7F ? "a control character" : "'\(c)'"
        }
    }
}
