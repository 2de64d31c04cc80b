/// The fixed phrases ArgumentParser prints around our texts (headings, `--help`'s own help,
/// defaults, usage errors), which it cannot translate itself: in `language`, applied to a
/// message before it is printed.
public enum ArgumentParserText {
    /// `message` (help or a usage error) with ArgumentParser's own phrases in `language`.
    public static func translate(_ message: String, in language: Language = .current) -> String {
        guard language == .zh else { return message }
        var message = message
        for (english, chinese) in phrases { message = message.replacing(english, with: chinese) }
        message = message.replacing(#/\(default:\s+([^)]*)\)/#) { "（默认：\($0.1)）" }
        message = message.replacing(#/\(values:\s+([^)]*)\)/#) { "（可选值：\($0.1.replacing(#/;\s+default:\s+/#, with: "；默认："))）" }
        message = message.replacing(#/See '([^']+)' for more information\./#) { "详见 '\($0.1)'。" }
        message = message.replacing(#/See '([^']+)' for detailed help\./#) { "详细帮助见 '\($0.1)'。" }
        return message
    }

    private static let phrases: [(String, String)] = [
        ("OVERVIEW: ", "概述："),
        ("USAGE: ", "用法："),
        ("ARGUMENTS:\n", "参数：\n"),
        ("OPTIONS:\n", "选项：\n"),
        ("SUBCOMMANDS:\n", "子命令：\n"),
        ("Show help information.", "显示帮助信息。"),
        ("Error: ", "错误："),
        ("Help: ", "帮助："),
        ("Usage: ", "用法："),
        ("Missing expected argument ", "缺少必需的参数 "),
        ("Unknown option ", "未知选项 "),
        ("Unexpected argument ", "多余的参数 "),
    ]
}
