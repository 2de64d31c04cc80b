import Foundation

/// The language of the texts shown to operators: Chinese when the POSIX locale for messages
/// names it, English otherwise. Logs, `--json` output and reason codes do not change with it.
public enum Language: Sendable {
    case en, zh

    /// The language of this process, chosen once from its environment. Read with `getenv`:
    /// building `ProcessInfo`'s dictionary of the whole environment was 4 % of `dossierctl`'s
    /// start (`perf`), which every `dossierctl pack` pays.
    public static let current = Language(
        environment: localeVariables.reduce(into: [:]) { found, name in found[name] = getenv(name).map { String(cString: $0) } })

    /// The variables that choose the language, in POSIX precedence.
    private static let localeVariables = ["LC_ALL", "LC_MESSAGES", "LANG"]

    /// Chinese when the first set and non-empty of `LC_ALL`, `LC_MESSAGES`, `LANG` (POSIX
    /// precedence) starts with `zh`; English otherwise.
    public init(environment: [String: String]) {
        let locale = Self.localeVariables.lazy.compactMap { environment[$0] }.first { !$0.isEmpty } ?? ""
        self = locale.hasPrefix("zh") ? .zh : .en
    }
}

/// One text in both languages.
public struct Bilingual: Sendable, Equatable, CustomStringConvertible {
    /// The English text.
    public var en: String
    /// The Chinese text.
    public var zh: String

    /// Both texts, English first.
    public init(_ en: String, _ zh: String) {
        self.en = en
        self.zh = zh
    }

    /// The text in `language`.
    public func text(in language: Language) -> String { language == .zh ? zh : en }

    /// The text in `Language.current`.
    public var description: String { text(in: .current) }

    /// Both texts, the one of `first` first, joined by `separator`.
    public func both(first: Language = .current, separator: String = "\n") -> String {
        first == .zh ? zh + separator + en : en + separator + zh
    }
}

/// The text in `Language.current`: the catalogue's one way of choosing.
func text(_ en: String, _ zh: String) -> String { Bilingual(en, zh).description }
