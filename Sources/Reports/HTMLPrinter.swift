import Dispatch
import Expressions
import Foundation

/// Prints the board pack to PDF through headless Chromium, which lays out the page exactly as
/// a browser's "Print" does (A4, the pack's running header and page numbers, selectable text).
/// The pack has no script and forbids any by its content security policy, and the browser runs
/// with a profile of its own in a temporary folder that is removed afterwards.
public enum HTMLPrinter {
    /// Why the PDF could not be made.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        /// True when no browser is installed (as opposed to one that failed).
        public var missingBrowser: Bool
    }

    /// The Debian package that provides the browser (named in the error when it is missing).
    public static let package = "chromium"

    /// The browser to print with: `$STOCKTAKE_CHROMIUM`, else the first of the usual names on `PATH`.
    public static func browser(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let forced = environment["STOCKTAKE_CHROMIUM"], !forced.isEmpty {
            return FileManager.default.isExecutableFile(atPath: forced) ? forced : nil
        }
        let folders = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        for name in ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"] {
            for folder in folders where FileManager.default.isExecutableFile(atPath: folder + "/" + name) {
                return folder + "/" + name
            }
        }
        return nil
    }

    public static var missingBrowserMessage: String {
        "error: --format pdf prints the board pack with headless Chromium, which is not installed; "
            + "install the Debian package '\(package)' (apt-get install \(package)), "
            + "or set STOCKTAKE_CHROMIUM to the browser's path"
    }

    /// The PDF of `html`. Its creation and modification dates are set to `asOf`, so that the same
    /// inputs and browser give the same bytes.
    public static func pdf(html: String, asOf: Day, timeout: TimeInterval = 120) throws(Failure) -> [UInt8] {
        guard let browser = browser() else { throw Failure(description: missingBrowserMessage, missingBrowser: true) }
        let fm = FileManager.default
        let folder = fm.temporaryDirectory.appendingPathComponent("stocktake-pdf-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: folder) }
        let page = folder.appendingPathComponent("board-pack.html")
        let out = folder.appendingPathComponent("board-pack.pdf")
        do {
            try fm.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data(html.utf8).write(to: page)
        } catch {
            throw Failure(
                description: "error: cannot write the page to print in \(folder.path): \(error.localizedDescription)",
                missingBrowser: false)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
            "--disable-background-networking", "--disable-sync", "--mute-audio",
            "--user-data-dir=\(folder.appendingPathComponent("profile").path)",
            "--no-pdf-header-footer", "--print-to-pdf=\(out.path)", page.absoluteString,
        ]
        // The browser's messages go to a file: a pipe nobody reads while it runs could block it.
        let log = folder.appendingPathComponent("browser.log")
        guard fm.createFile(atPath: log.path, contents: nil), let logHandle = try? FileHandle(forWritingTo: log) else {
            throw Failure(description: "error: cannot write in \(folder.path)", missingBrowser: false)
        }
        defer { try? logHandle.close() }
        process.standardOutput = logHandle
        process.standardError = logHandle
        process.standardInput = FileHandle.nullDevice
        // Dates in the PDF are written in local time: UTC keeps them (and the pinned ones) the same everywhere.
        var environment = ProcessInfo.processInfo.environment
        environment["TZ"] = "UTC"
        process.environment = environment
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        do { try process.run() } catch {
            throw Failure(
                description: "error: cannot start \(browser): \(error.localizedDescription)", missingBrowser: false)
        }
        if done.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            throw Failure(
                description: "error: \(browser) did not print the board pack within \(Int(timeout)) s",
                missingBrowser: false)
        }
        let said = fm.contents(atPath: log.path) ?? Data()
        guard process.terminationStatus == 0, let bytes = fm.contents(atPath: out.path),
            bytes.starts(with: Array("%PDF".utf8))
        else {
            let tail = String(decoding: said, as: UTF8.self).split(separator: "\n").suffix(3).joined(separator: "\n")
            throw Failure(
                description: "error: \(browser) could not print the board pack (exit \(process.terminationStatus))"
                    + (tail.isEmpty ? "" : ":\n" + tail), missingBrowser: false)
        }
        return pinningDates([UInt8](bytes), to: asOf)
    }

    /// `/CreationDate (D:YYYYMMDDHHMMSS` and `/ModDate (D:…` set to the day, in place (same length,
    /// so the cross-reference offsets stay right).
    static func pinningDates(_ pdf: [UInt8], to day: Day) -> [UInt8] {
        var bytes = pdf
        let (y, m, d) = day.civil
        func pad(_ v: Int, _ width: Int) -> String {
            String(repeating: "0", count: max(0, width - String(v).count)) + String(v)
        }
        let stamp = Array((pad(y, 4) + pad(m, 2) + pad(d, 2) + "000000").utf8)
        for key in ["/CreationDate (D:", "/ModDate (D:"] {
            let pattern = Array(key.utf8)
            var i = 0
            while let at = find(pattern, in: bytes, from: i) {
                let start = at + pattern.count
                let digits = bytes[start...].prefix(14)
                if digits.count == 14, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                    bytes.replaceSubrange(start..<start + 14, with: stamp)
                }
                i = start
            }
        }
        return bytes
    }

    private static func find(_ pattern: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard pattern.count <= bytes.count, start <= bytes.count - pattern.count else { return nil }
        var i = start
        while i <= bytes.count - pattern.count {
            if bytes[i] == pattern[0], bytes[i..<i + pattern.count].elementsEqual(pattern) { return i }
            i += 1
        }
        return nil
    }
}
