import Foundation
import Testing

/// The board pack of a real plan, rendered in headless Chromium and checked through its DOM as
/// a board member would meet it: the first screen, horizontal overflow on screen and at A4
/// print width, the register against the JSON findings, and the printed PDF. Screenshots go to
/// `test-screenshots/` (git ignores it): look at them after changing the pack.
@Suite(.serialized) struct BoardPackBrowserTests {
    static var oldham: String { get throws { try Fixture.plan("oldham-priority-action-plan.tsv") } }
    static let shots = CLI.root.appendingPathComponent("test-screenshots")
    /// A4 less the pack's page margins (13 mm each side), in CSS pixels.
    static let printWidth = Int(((210.0 - 26.0) / 25.4 * 96).rounded(.down))

    static let browser = installed(["chromium", "chromium-browser", "google-chrome"])
    /// Poppler's tools read the PDF back (its pages, its text and where each word lies).
    static let poppler = ["pdfinfo", "pdftotext", "pdftoppm"].allSatisfy { installed([$0]) != nil }
    static let inCI = ProcessInfo.processInfo.environment["CI"] == "true"

    /// The first of `names` found on PATH, as a path.
    static func installed(_ names: [String]) -> String? {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
        for name in names {
            for folder in folders where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
                return "\(folder)/\(name)"
            }
        }
        return nil
    }

    /// Outside CI a machine without Chromium or poppler skips this, saying so (apt-get install
    /// chromium poppler-utils); in CI (CI=true, as .ci/run sets) it runs, and fails if either is missing.
    @Test(
        .enabled(
            if: browser != nil && poppler || inCI,
            "headless Chromium or poppler-utils is not installed (apt-get install chromium poppler-utils)"))
    func oldhamBoardPackInChromium() throws {
        let browser = try #require(Self.browser, "CI must install chromium (.ci/run does)")
        try #require(Self.poppler, "CI must install poppler-utils (.ci/run does)")
        let dir = try CLI.temporaryDirectory()
        let html = dir.appendingPathComponent("board.html").path
        let pdf = dir.appendingPathComponent("board.pdf").path
        let json = dir.appendingPathComponent("findings.json").path
        let r = try CLI.run([
            "check", try Self.oldham, "--rules", "rules/send-plan.yaml", "--as-of", "2024-07-01",
            "--format", "html:\(html)", "--format", "pdf:\(pdf)", "--format", "json:\(json)",
        ])
        #expect(r.code == 1, "\(r.stderr)")
        try FileManager.default.createDirectory(at: Self.shots, withIntermediateDirectories: true)
        let page = try String(contentsOfFile: html, encoding: .utf8)

        // On screen at 1280 × 800: the summary and the first board escalation are on the first screen.
        let screen = try probe(page, width: 1280, height: 800, print: false, browser: browser, in: dir)
        #expect(screen.summaryBottom > 0 && screen.summaryBottom <= 800, "summary ends at \(screen.summaryBottom) px")
        #expect(
            screen.firstEscalationBottom > 0 && screen.firstEscalationBottom <= 800,
            "first board escalation ends at \(screen.firstEscalationBottom) px")
        #expect(
            screen.firstEscalation.hasPrefix("1.1 Create Local Inclusion Partnership Executive Board"),
            "first escalation: \(screen.firstEscalation)")
        #expect(screen.summary.contains("18 of 52 actions are past their due date"), "summary: \(screen.summary)")
        #expect(screen.overflowing.isEmpty, "wider than 1280 px: \(screen.overflowing)")
        #expect(screen.lowContrast.isEmpty, "text below WCAG AA contrast (4.5:1): \(screen.lowContrast)")

        // At A4 width with the print styles: nothing wider than the page.
        let printed = try probe(page, width: Self.printWidth, height: 1100, print: true, browser: browser, in: dir)
        #expect(printed.overflowing.isEmpty, "wider than A4 (\(Self.printWidth) px): \(printed.overflowing)")

        // The register lists every finding of the run exactly once.
        let report =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        let expected = (report["findings"] as! [[String: Any]]).map { $0["fingerprint"] as! String }
        #expect(expected.count == 51)
        #expect(printed.register.sorted() == expected.sorted(), "register and findings differ")
        #expect(Set(printed.register).count == printed.register.count, "a finding is listed twice")

        // Screenshots to look at: the first screen, the whole page, the page at print width.
        try shoot(page, width: 1280, height: 800, to: "oldham-first-screen.png", browser: browser, in: dir)
        try shoot(page, width: 1280, height: screen.pageHeight, to: "oldham-full.png", browser: browser, in: dir)

        // The PDF: A4 pages, running header and page numbers, and text that can be selected.
        let info = try tool("pdfinfo", [pdf])
        let pages =
            Int(info.split(separator: "\n").first { $0.hasPrefix("Pages:") }?.split(separator: " ").last ?? "") ?? 0
        #expect((8...20).contains(pages), "\(pages) pages")
        #expect(info.contains("Page size:       594.96 x 841.92 pts (A4)"))
        let text = try tool("pdftotext", ["-layout", pdf, "-"])
        for expectedText in [
            "SEND & Inclusion Improvement Programme: Priority Action Plan", "1. What the board must decide",
            "18 of 52 actions are past their due date", "2. The picture", "3. Register of findings",
            "Board pack, 1 July 2024", "Page 1 of \(pages)", "Page \(pages) of \(pages)",
        ] {
            #expect(text.contains(expectedText), "PDF text lacks \(expectedText)")
        }
        let pageTexts = text.split(separator: "\u{0C}", omittingEmptySubsequences: false)
        #expect(
            pageTexts.first?.contains("1.1") == true && pageTexts.first?.contains("275") == true,
            "page 1 holds 1.1, 275 days")
        // The first page holds all ten board escalations, down to the last (2.27, 183 days).
        #expect(
            pageTexts.first?.contains("2.27") == true && pageTexts.first?.contains("Sarah Leah") == true,
            "page 1 holds the tenth escalation")
        #expect(
            pageTexts.contains { $0.contains("2. The picture") && !$0.contains("1. What the board must decide") },
            "the picture starts a page of its own")
        // Every word lies on the page (nothing printed past the right edge).
        let boxes = try tool("pdftotext", ["-bbox", pdf, "-"])
        let right = boxes.components(separatedBy: "xMax=\"").dropFirst().compactMap { Double($0.prefix { $0 != "\"" }) }
        #expect(!right.isEmpty && right.allSatisfy { $0 <= 594.96 - 30 }, "a word ends at \(right.max() ?? 0) pt")
        // Pages of an earlier, longer print would be mistaken for this one's.
        let stale = try FileManager.default.contentsOfDirectory(atPath: Self.shots.path)
            .filter { $0.hasPrefix("oldham-pdf-page") }
        for name in stale { try FileManager.default.removeItem(at: Self.shots.appendingPathComponent(name)) }
        _ = try tool("pdftoppm", ["-r", "60", "-png", pdf, Self.shots.appendingPathComponent("oldham-pdf-page").path])

        // The same inputs print the same bytes.
        let again = dir.appendingPathComponent("again.pdf").path
        _ = try CLI.run([
            "check", try Self.oldham, "--rules", "rules/send-plan.yaml", "--as-of", "2024-07-01", "--format",
            "pdf:\(again)",
        ])
        #expect(
            FileManager.default.contents(atPath: again) == FileManager.default.contents(atPath: pdf),
            "PDF is not deterministic")
    }

    /// The other real plans, which rate nothing and have findings about the plan as a whole and
    /// placeholder owners: the summary is on the first screen, nothing is wider than the page on
    /// screen or at A4 width, the text meets AA contrast and the register lists every finding once.
    @Test(
        .enabled(if: browser != nil || inCI, "headless Chromium is not installed (apt-get install chromium)"),
        arguments: [("tameside-wsoa-2022", "2024-07-01"), ("tameside-send-improvement-plan-2025", "2025-12-01")])
    func otherPlansInChromium(plan: String, asOf: String) throws {
        let browser = try #require(Self.browser, "CI must install chromium (.ci/run does)")
        let dir = try CLI.temporaryDirectory()
        let html = dir.appendingPathComponent("board.html").path
        let json = dir.appendingPathComponent("findings.json").path
        let r = try CLI.run([
            "check", try Fixture.plan(plan + ".tsv"), "--rules", "rules/send-plan.yaml", "--as-of", asOf,
            "--format", "html:\(html)", "--format", "json:\(json)", "--fail-on", "never",
        ])
        #expect(r.code == 0, "\(r.stderr)")
        try FileManager.default.createDirectory(at: Self.shots, withIntermediateDirectories: true)
        let page = try String(contentsOfFile: html, encoding: .utf8)
        let screen = try probe(page, width: 1280, height: 800, print: false, browser: browser, in: dir, name: plan)
        #expect(screen.summaryBottom > 0 && screen.summaryBottom <= 800, "summary ends at \(screen.summaryBottom) px")
        #expect(screen.overflowing.isEmpty, "wider than 1280 px: \(screen.overflowing)")
        #expect(screen.lowContrast.isEmpty, "text below WCAG AA contrast (4.5:1): \(screen.lowContrast)")
        let printed = try probe(
            page, width: Self.printWidth, height: 1100, print: true, browser: browser, in: dir, name: plan)
        #expect(printed.overflowing.isEmpty, "wider than A4 (\(Self.printWidth) px): \(printed.overflowing)")
        let report =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        let expected = (report["findings"] as! [[String: Any]]).map { $0["fingerprint"] as! String }
        #expect(!expected.isEmpty)
        #expect(printed.register.sorted() == expected.sorted(), "register and findings differ")
        try shoot(page, width: 1280, height: 800, to: "\(plan)-first-screen.png", browser: browser, in: dir)
    }

    /// Without a browser, `--format pdf` fails at once with a message naming the package (exit 5);
    /// without a file name it is a usage error.
    @Test func pdfWithoutBrowserOrPath() throws {
        let base = [
            "check", "examples/send-improvement-plan.yaml", "--rules", "rules/send-plan.yaml", "--as-of", "2024-07-01",
        ]
        let missing = try CLI.run(
            base + ["--format", "pdf:/tmp/never.pdf"], environment: ["PATH": "/nonexistent", "STOCKTAKE_CHROMIUM": ""])
        #expect(missing.code == 5)
        #expect(
            missing.stderr
                == "error: --format pdf prints the board pack with headless Chromium, which is not installed; "
                + "install the Debian package 'chromium' (apt-get install chromium), "
                + "or set STOCKTAKE_CHROMIUM to the browser's path\n"
        )
        #expect(missing.stdout.isEmpty)
        let wrong = try CLI.run(
            base + ["--format", "pdf:/tmp/never.pdf"], environment: ["STOCKTAKE_CHROMIUM": "/nonexistent/chromium"])
        #expect(wrong.code == 5)
        let noPath = try CLI.run(base + ["--format", "pdf"])
        #expect(noPath.code == 2)
        #expect(noPath.stderr.contains("--format pdf needs a file name: --format pdf:board-pack.pdf"))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/never.pdf"))
    }

    struct Probe {
        var summary: String
        var summaryBottom: Double
        var firstEscalation: String
        var firstEscalationBottom: Double
        var overflowing: [String]
        var lowContrast: [String]
        var register: [String]
        var pageHeight: Int
    }

    /// Loads a copy of the page with a measuring script (the pack itself forbids scripts) and
    /// reads what it found from the dumped DOM. `print` applies the print styles on screen.
    func probe(
        _ page: String, width: Int, height: Int, print: Bool, browser: String, in dir: URL, name: String = "oldham"
    ) throws -> Probe {
        var copy = page.replacingOccurrences(
            of: #"<meta http-equiv="Content-Security-Policy""#, with: "<meta name=\"was-csp\"")
        if print { copy = copy.replacingOccurrences(of: "@media print{", with: "@media all{") }
        let script = """
            <script>
            (function () {
              const width = document.documentElement.clientWidth;
              const bottom = (el) => el ? Math.round(el.getBoundingClientRect().bottom + window.scrollY) : -1;
              const over = [];
              for (const el of document.body.querySelectorAll('*')) {
                const r = el.getBoundingClientRect();
                if (r.right > width + 1 && over.length < 8)
                  over.push(el.tagName + '.' + el.className + ' ' + Math.round(r.right));
              }
              const scrolled = document.documentElement.scrollWidth;
              if (scrolled > width) over.push('page ' + scrolled);
              // WCAG AA: the contrast of every piece of text with the background it sits on.
              const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
              const lum = ([r, g, b]) => [r, g, b].map(v => v / 255)
                .map(v => v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4))
                .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
              const background = (el) => {
                for (; el; el = el.parentElement) {
                  const c = rgb(getComputedStyle(el).backgroundColor);
                  if (c.length === 3 || c[3] > 0) return c.slice(0, 3);
                }
                return [255, 255, 255];
              };
              const low = [];
              for (const el of document.body.querySelectorAll('*')) {
                const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
                if (!own || el.closest('svg')) continue;
                const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(background(el))].sort((x, y) => y - x);
                const ratio = (a + 0.05) / (b + 0.05);
                if (ratio < 4.5 && low.length < 8) low.push(el.tagName + '.' + el.className + ' ' + ratio.toFixed(2));
              }
              const summary = document.querySelector('ul.summary');
              const first = document.querySelector('table.board tbody tr');
              const out = {
                summary: summary ? summary.innerText : '', summaryBottom: bottom(summary),
                firstEscalation: first ? first.innerText.replace(/\\s+/g, ' ') : '',
                firstEscalationBottom: bottom(first),
                overflowing: over, lowContrast: low,
                register: Array.from(document.querySelectorAll('#register li[data-finding]'))
                  .map(li => li.dataset.finding),
                pageHeight: document.documentElement.scrollHeight
              };
              const pre = document.createElement('pre');
              pre.id = 'probe';
              pre.textContent = JSON.stringify(out);
              document.body.appendChild(pre);
            })();
            </script>
            """
        copy = copy.replacingOccurrences(of: "</body>", with: script + "</body>")
        let file = dir.appendingPathComponent("probe-\(width).html")
        try Data(copy.utf8).write(to: file)
        let dom = try run(
            browser, chromeFlags(dir) + ["--window-size=\(width),\(height)", "--dump-dom", file.absoluteString])
        let start = try #require(dom.range(of: "<pre id=\"probe\">"))
        let end = try #require(dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex))
        let text = String(dom[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "&amp;", with: "&")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
        let o = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        if print { try shoot(copy, width: width, height: 1100, to: "\(name)-a4-width.png", browser: browser, in: dir) }
        return Probe(
            summary: o["summary"] as! String, summaryBottom: (o["summaryBottom"] as! NSNumber).doubleValue,
            firstEscalation: o["firstEscalation"] as! String,
            firstEscalationBottom: (o["firstEscalationBottom"] as! NSNumber).doubleValue,
            overflowing: o["overflowing"] as! [String], lowContrast: o["lowContrast"] as! [String],
            register: o["register"] as! [String],
            pageHeight: (o["pageHeight"] as! NSNumber).intValue)
    }

    func shoot(_ page: String, width: Int, height: Int, to name: String, browser: String, in dir: URL) throws {
        let file = dir.appendingPathComponent("shot-\(name).html")
        try Data(page.utf8).write(to: file)
        let out = Self.shots.appendingPathComponent(name).path
        _ = try run(
            browser,
            chromeFlags(dir) + [
                "--hide-scrollbars", "--window-size=\(width),\(height)", "--screenshot=\(out)",
                file.absoluteString,
            ])
        #expect(FileManager.default.fileExists(atPath: out), "no screenshot \(name)")
    }

    func chromeFlags(_ dir: URL) -> [String] {
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--user-data-dir=\(dir.appendingPathComponent("profile").path)",
        ]
    }

    func tool(_ name: String, _ arguments: [String]) throws -> String {
        try run("/usr/bin/env", [name] + arguments)
    }

    /// Runs a program and returns its standard output (its messages go to a file, never a full pipe).
    func run(_ program: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(program) \(arguments.prefix(3)) exited \(process.terminationStatus)")
        return String(decoding: data, as: UTF8.self)
    }
}
