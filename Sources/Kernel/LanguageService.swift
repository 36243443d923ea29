import Foundation
import JupyterProtocol

/// Tab completion and Shift-Tab help from the toolchain's `sourcekit-lsp`,
/// for a cell as it is being typed (../shared/reference/widgets-completion.md,
/// part B). The server runs in the kernel process's care, never in the
/// executor, so it answers while a cell runs and cannot lose the notebook.
///
/// The workspace is the session's work folder: one document,
/// `CompletionCell.swift`, holds the cell's text after the imports the cell
/// would get (the DSL, and the earlier cells that declared what is in
/// scope), described to the server by a `compile_commands.json` with the
/// cells' own compiler flags and module cache. After each cell the new
/// module is announced (`workspace/didChangeWatchedFiles`, background
/// indexing off), so names declared by the cell just run complete too.
///
/// Jupyter counts positions in Unicode code points, LSP in UTF-16 code
/// units by line; both ways are converted here. A server that is missing,
/// slow or gone makes a request return nil (the kernel then answers from
/// its own word list); a gone server is started again at the next request.
final class LanguageService: @unchecked Sendable {  // the server behind `lock`, the rest behind `modulesLock`
    struct Configuration {
        /// `sourcekit-lsp`.
        var server: String
        var workDirectory: String
        var moduleCache: String
        /// `-I` folders of the cells' compiles (the DSL's modules, its C headers).
        var importPaths: [String]
        /// How long a request may take before the kernel answers without it.
        var timeout: TimeInterval = 2
        /// How long the server may take to start (`initialize`).
        var startTimeout: TimeInterval = 20
        /// After a failed start, how long requests go without a server before it is tried again.
        var retryAfter: TimeInterval = 60
        /// A server unused this long is stopped (it holds 250–350 MB); the next Tab starts it again.
        var idleStop: TimeInterval = 15 * 60
    }

    /// A completion as the Jupyter reply needs it: matches best first,
    /// what they replace (code points), and each one's kind and signature.
    struct Completions: Equatable {
        var matches: [String]
        var start: Int
        var end: Int
        /// `_jupyter_types_experimental`: `{start, end, text, type, signature}` per match.
        var types: [JSONValue]
    }

    static let documentName = "CompletionCell.swift"

    let configuration: Configuration
    /// Held by whoever talks to the server: a request, or the warm-up on its own thread.
    private let lock = NSLock()
    private var server: LanguageServer?
    private var version = 0
    /// When the server last failed to start.
    private var failedStart: Date?
    private var recentlyFailed: Bool {
        failedStart.map { Date().timeIntervalSince($0) < configuration.retryAfter } ?? false
    }
    /// The warm-up thread runs (guarded by `modulesLock`).
    private var warming = false
    /// When the server was last asked something.
    private var lastUsed = Date()
    /// Modules built since the server last heard of them (guarded by `modulesLock`, as `warming` is).
    private var newModules: [String] = []
    private let modulesLock = NSLock()
    private var documentPath: String { configuration.workDirectory + "/" + LanguageService.documentName }

    init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// The process id of the running server, if any (its idle stop and restart are tested by it).
    var serverPID: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return server.map(\.pid)
    }

    /// Starts the server and has it load the DSL's modules (a first
    /// completion takes about a second) on a thread of its own, so that the
    /// request that asked for it waits only as long as a request may.
    private func warmUp() {
        modulesLock.withLock { warming = true }
        let started = DispatchSemaphore(value: 0)
        Thread.detachNewThread { [self] in
            lock.lock()
            started.signal()
            defer {
                modulesLock.withLock { warming = false }
                lock.unlock()
            }
            guard let server = liveServer() else { return }
            let member = "NoiseSchedule(.linear, steps: 10)."
            _ = try? request(
                "textDocument/completion", on: server, text: "import DDPM\n" + member, line: 1,
                character: member.utf16.count, timeout: 60)
        }
        started.wait()  // the thread holds the lock before the request queues behind it
    }

    /// Completions at `cursor` (code points into `code`), with `imports`
    /// (one line each) before the cell's text; nil when the server cannot answer.
    func complete(code: String, cursor: Int, imports: [String]) -> Completions? {
        // Right after the parenthesis of a call (`randn(`), sourcekit-lsp 6.3 hangs or crashes
        // (and a later request gets the previous call's answer); Shift-Tab shows the signature there.
        let before = code.unicodeScalars.prefix(max(cursor, 0)).last { !$0.properties.isWhitespace }
        if before == "(" { return nil }
        guard let result = ask("textDocument/completion", code: code, cursor: cursor, imports: imports) else {
            return nil
        }
        let items = (result["items"] ?? result).arrayValue ?? []
        let sorted = items.enumerated().sorted { a, b in
            let (x, y) = (a.element["sortText"]?.stringValue ?? "", b.element["sortText"]?.stringValue ?? "")
            return x != y ? x < y : a.offset < b.offset
        }.map(\.element)
        var start = cursor, end = cursor
        if let range = sorted.first?["textEdit"]?["range"] {
            start = LSPPosition.codePoint(range["start"], in: code, linesBefore: imports.count) ?? cursor
            end = LSPPosition.codePoint(range["end"], in: code, linesBefore: imports.count) ?? cursor
        } else {
            start = Completion.identifierStart(in: code, before: cursor)
        }
        var matches: [String] = []
        var types: [JSONValue] = []
        for item in sorted {
            var text =
                item["textEdit"]?["newText"]?.stringValue ?? item["insertText"]?.stringValue
                ?? item["label"]?.stringValue ?? ""
            // Without snippets the server inserts `qSample(, t: )`; a call completes to `qSample(`.
            if let open = text.firstIndex(of: "(") { text = String(text[...open]) }
            guard !text.isEmpty, !matches.contains(text) else { continue }  // overloads: once
            let label = item["label"]?.stringValue ?? text
            let detail = item["detail"]?.stringValue ?? ""
            matches.append(text)
            types.append([
                "start": .int(start), "end": .int(end), "text": .string(text),
                "type": .string(LanguageService.jupyterType(item["kind"]?.intValue, detail: detail)),
                "signature": .string(LanguageService.declaration(label: label, detail: detail)),
            ])
        }
        // The server also matches fuzzily (`swissRo` → `posix_spawn_…`): keep what starts with
        // what was typed, as Python kernels do, unless nothing does.
        let typed = String(String.UnicodeScalarView(Array(code.unicodeScalars)[start..<max(start, min(end, cursor))]))
            .lowercased()
        let kept = matches.indices.filter { matches[$0].lowercased().hasPrefix(typed) }
        if !typed.isEmpty && !kept.isEmpty && kept.count < matches.count {
            matches = kept.map { matches[$0] }
            types = kept.map { types[$0] }
        }
        return Completions(matches: matches, start: start, end: end, types: types)
    }

    /// The declaration and doc comment of the symbol at `cursor` (Markdown),
    /// or nil when there is none or the server cannot answer.
    func inspect(code: String, cursor: Int, imports: [String]) -> String? {
        let scalars = Array(code.unicodeScalars)
        var position = min(max(cursor, 0), scalars.count)
        func isIdentifier(_ i: Int) -> Bool { scalars.indices.contains(i) && Completion.isIdentifier(scalars[i]) }
        if !isIdentifier(position - 1) && !isIdentifier(position) {
            // Among a call's arguments (`s.qSample(x, t: |`): the function being called.
            var depth = 0, i = position - 1
            while i >= 0 {
                if scalars[i] == ")" { depth += 1 }
                if scalars[i] == "(" {
                    if depth == 0 { break }
                    depth -= 1
                }
                i -= 1
            }
            guard i > 0 else { return nil }
            position = i
        }
        var start = position, end = position
        while isIdentifier(start - 1) { start -= 1 }
        while isIdentifier(end) { end += 1 }
        guard start < end else { return nil }  // nothing there
        // First the server's hover on the whole cell, its calls closed (`s.qSample(x` + `)`).
        let unclosed = code.filter { $0 == "(" }.count - code.filter { $0 == ")" }.count
        let closed = code + String(repeating: ")", count: max(unclosed, 0))
        if let result = ask("textDocument/hover", code: closed, cursor: start, imports: imports),
            let text = LanguageService.markdown(ofHover: result)
        {
            return text
        }
        // Code that does not type-check has no symbols to hover on; completing the name
        // itself finds its declarations, with their doc comments.
        let name = String(String.UnicodeScalarView(scalars[start..<end]))
        let upToName = String(String.UnicodeScalarView(scalars[..<end]))
        guard let result = ask("textDocument/completion", code: upToName, cursor: end, imports: imports),
            let item = ((result["items"] ?? result).arrayValue ?? []).filter({
                ($0["filterText"]?.stringValue ?? $0["label"]?.stringValue ?? "").prefix(while: { $0 != "(" }) == name
            }).min(by: { ($0["sortText"]?.stringValue ?? "") < ($1["sortText"]?.stringValue ?? "") })
        else { return nil }
        let label = item["label"]?.stringValue ?? name
        let detail = item["detail"]?.stringValue ?? ""
        let declaration = LanguageService.declaration(label: label, detail: detail)
        let documentation = item["documentation"]?["value"]?.stringValue ?? item["documentation"]?.stringValue ?? ""
        return "```swift\n\(declaration)\n```" + (documentation.isEmpty ? "" : "\n\n" + documentation)
    }

    /// A completion item as a declaration: `qSample(x0: Tensor, t: Int) -> (xt: Tensor, noise: Tensor)`,
    /// `alphaBars: Tensor` (LSP's `label` and `detail`).
    static func declaration(label: String, detail: String) -> String {
        detail.isEmpty ? label : label.contains("(") ? "\(label) -> \(detail)" : "\(label): \(detail)"
    }

    /// The text of a hover result (`MarkupContent`, a `MarkedString` or a list of them).
    static func markdown(ofHover result: JSONValue) -> String? {
        let contents = result["contents"]
        let text =
            contents?["value"]?.stringValue ?? contents?.stringValue
            ?? contents?.arrayValue?.compactMap { $0["value"]?.stringValue ?? $0.stringValue }.joined(
                separator: "\n\n")
        guard let text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        return text
    }

    /// A cell built a module: later requests should see it. The server is
    /// told at once, so that its reload (debounced by 0.5 s) is done before
    /// the user's next Tab.
    func moduleBuilt(_ path: String) {
        modulesLock.withLock { newModules.append(path) }
        // When the warm-up holds the server, the next request announces it.
        guard lock.try() else { return }
        defer { lock.unlock() }
        guard let server, server.isRunning else { return }
        announceNewModules(to: server)
    }

    private func announceNewModules(to server: LanguageServer) {
        let modules = modulesLock.withLock {
            defer { newModules = [] }
            return newModules
        }
        guard !modules.isEmpty else { return }
        try? server.notify(
            "workspace/didChangeWatchedFiles",
            ["changes": .array(modules.map { ["uri": .string(LanguageService.uri($0)), "type": 1] })])
    }

    func close() {
        lock.lock()
        defer { lock.unlock() }
        server?.terminate()
        server = nil
    }

    /// Stops a server nobody asked anything for `idleStop` (called between cells).
    func stopIfIdle(now: Date = Date()) {
        guard lock.try() else { return }
        defer { lock.unlock() }
        guard let server, now.timeIntervalSince(lastUsed) > configuration.idleStop else { return }
        log("language server idle for \(Int(configuration.idleStop)) s: stopped (the next Tab starts it)")
        server.terminate()
        self.server = nil
    }

    // MARK: - The server

    /// Sends the document's new text and `method` at the cursor; nil on any failure.
    private func ask(_ method: String, code: String, cursor: Int, imports: [String]) -> JSONValue? {
        // The server starts at the first Tab or Shift-Tab (it holds ~250 MB: a kernel whose
        // user never asks does not pay for it). Until it has loaded the DSL, the kernel
        // answers without it.
        let deadline = Date().addingTimeInterval(configuration.timeout)
        if !modulesLock.withLock({ warming }), lock.withLock({ server == nil && !recentlyFailed }) { warmUp() }
        guard lock.lock(before: deadline) else { return nil }
        defer { lock.unlock() }
        guard let server = liveServer() else { return nil }
        lastUsed = Date()
        do {
            announceNewModules(to: server)
            let position = LSPPosition(code: code, codePoint: cursor, linesBefore: imports.count)
            return try request(
                method, on: server, text: (imports + [code]).joined(separator: "\n"), line: position.line,
                character: position.character, timeout: configuration.timeout)
        } catch {
            log("language server: \(error)")
            if !server.isRunning {
                server.terminate()
                self.server = nil
            }
            return nil
        }
    }

    /// The document's new text, then `method` at a position of it.
    private func request(
        _ method: String, on server: LanguageServer, text: String, line: Int, character: Int, timeout: TimeInterval
    ) throws -> JSONValue {
        version += 1
        try server.notify(
            "textDocument/didChange",
            [
                "textDocument": ["uri": .string(LanguageService.uri(documentPath)), "version": .int(version)],
                "contentChanges": [["text": .string(text)]],
            ])
        return try server.request(
            method,
            [
                "textDocument": ["uri": .string(LanguageService.uri(documentPath))],
                "position": ["line": .int(line), "character": .int(character)],
            ], timeout: timeout)
    }

    /// The server, started (and initialised, with the document open) when needed.
    private func liveServer() -> LanguageServer? {
        if let server, server.isRunning { return server }
        server?.terminate()
        server = nil
        if recentlyFailed { return nil }
        do {
            try writeCompilationDatabase()
            let fresh = try LanguageServer(executable: configuration.server)
            defer { if server !== fresh { fresh.terminate() } }  // not started after all
            _ = try fresh.request(
                "initialize",
                [
                    "processId": .int(Int(getpid())),
                    "rootUri": .string(LanguageService.uri(configuration.workDirectory)),
                    "capabilities": [
                        "textDocument": [
                            "completion": [
                                "completionItem": [
                                    "snippetSupport": false, "documentationFormat": ["markdown", "plaintext"],
                                ]
                            ],
                            "hover": ["contentFormat": ["markdown", "plaintext"]],
                        ]
                    ],
                    // Without background indexing the server reloads a module announced as changed.
                    "initializationOptions": ["backgroundIndexing": false],
                ], timeout: configuration.startTimeout)
            try fresh.notify("initialized", [:])
            version = 1
            try fresh.notify(
                "textDocument/didOpen",
                [
                    "textDocument": [
                        "uri": .string(LanguageService.uri(documentPath)), "languageId": "swift", "version": 1,
                        "text": "",
                    ]
                ])
            // A new server reads every module there is.
            modulesLock.withLock { newModules = [] }
            server = fresh
            return fresh
        } catch {
            log("language server unavailable: \(error)")
            failedStart = Date()
            return nil
        }
    }

    /// The compiler flags of the completion document: the cells' own.
    private func writeCompilationDatabase() throws {
        try Data().write(to: URL(fileURLWithPath: documentPath))
        var arguments: [JSONValue] = [
            "swiftc", "-module-name", "CompletionCell", "-swift-version", "5",
            "-module-cache-path", .string(configuration.moduleCache), "-I", .string(configuration.workDirectory),
        ]
        for path in configuration.importPaths { arguments += ["-I", .string(path)] }
        arguments.append(.string(documentPath))
        let database: JSONValue = [
            [
                "directory": .string(configuration.workDirectory), "file": .string(documentPath),
                "arguments": .array(arguments),
            ]
        ]
        try database.serialized().write(
            to: URL(fileURLWithPath: configuration.workDirectory + "/compile_commands.json"))
    }

    static func uri(_ path: String) -> String { URL(fileURLWithPath: path).absoluteString }

    /// What JupyterLab shows beside a completion, for LSP's `CompletionItemKind`:
    /// a value's own type (`alphaBars` → `Tensor`, what a student wants to
    /// know), else the kind of declaration ("function", "class", …).
    static func jupyterType(_ kind: Int?, detail: String = "") -> String {
        switch kind {
        case 2, 3, 4: return "function"  // method, function, constructor
        case 5, 6, 10, 12, 20, 21:  // field, variable, property, value, enum member, constant
            return detail.isEmpty ? "instance" : detail
        case 7, 8, 13, 22, 25: return "class"  // class, interface, enum, struct, type parameter
        case 9: return "module"
        case 14: return "keyword"
        case 24: return "function"  // operator
        default: return "text"
        }
    }
}
