extension DaemonText {
    /// What is wrong with a configuration file, in both languages: `dossierd --check-config` and
    /// a refused start show it in the operator's, the log (a refused reload) in English. The file
    /// and the key are named beside it (`ConfigError`).
    public enum Config {
        /// The file cannot be opened or read.
        public static func unreadable(_ reason: String) -> Bilingual {
            Bilingual("cannot be read (\(reason))", "无法读取（\(reason)）")
        }
        /// A TOML syntax error, as the parser words it, and where.
        public static func syntax(_ detail: String, line: Int, column: Int) -> Bilingual {
            Bilingual("\(detail) at line \(line), column \(column)", "TOML 语法错误：\(detail)（第 \(line) 行第 \(column) 列）")
        }
        /// The file is not TOML for another reason.
        public static func notTOML(_ detail: String) -> Bilingual { Bilingual("not valid TOML (\(detail))", "不是有效的 TOML（\(detail)）") }
        /// A key no setting has (a typo must not fall back to a default).
        public static var unknownKey: Bilingual { Bilingual("unknown key", "未知的配置项") }
        public static var expectedString: Bilingual { Bilingual("expected a string", "应为字符串") }
        public static var missing: Bilingual { Bilingual("missing (required)", "缺失（必填）") }
        public static var empty: Bilingual { Bilingual("must not be empty", "不能为空") }
        public static var expectedInteger: Bilingual { Bilingual("expected an integer", "应为整数") }
        public static var expectedNumber: Bilingual { Bilingual("expected a number", "应为数字") }
        /// A number outside the key's range.
        public static func outside(_ value: String, lower: String, upper: String) -> Bilingual {
            Bilingual("\(value) is outside \(lower)...\(upper)", "\(value) 超出允许范围 \(lower)...\(upper)")
        }
        public static var expectedBool: Bilingual { Bilingual("expected true or false", "应为 true 或 false") }
        public static var expectedStrings: Bilingual { Bilingual("expected a string or a list of strings", "应为字符串或字符串列表") }
        public static var negative: Bilingual { Bilingual("must not be negative", "不能为负数") }
        public static var expectedDuration: Bilingual {
            Bilingual("expected a duration such as \"5s\", \"10m\", \"72h\"", "应为时长，例如 \"5s\"、\"10m\"、\"72h\"")
        }
        public static var notPositive: Bilingual { Bilingual("must be positive", "必须大于 0") }
        public static var expectedSize: Bilingual {
            Bilingual("expected a size such as 65536, \"64KiB\", \"8GiB\"", "应为大小，例如 65536、\"64KiB\"、\"8GiB\"")
        }
        public static var expectedTable: Bilingual { Bilingual("expected a table", "应为表 (table)") }
        /// `[[key]]` was given as something else.
        public static func expectedTables(_ key: String) -> Bilingual {
            Bilingual("expected an array of tables ([[\(key)]])", "应为表数组（[[\(key)]]）")
        }
        /// A value the decoder of a table refused, as it words it.
        public static func invalid(_ detail: String) -> Bilingual { Bilingual(detail, "取值无效：\(detail)") }
        /// A table the daemon cannot run without.
        public static func missingTable(_ name: String) -> Bilingual { Bilingual("missing table [\(name)]", "缺少表 [\(name)]") }
        /// An authority code that is not one.
        public static func notAuthorityCode(_ code: String) -> Bilingual {
            Bilingual("\"\(code)\" is not a 6-digit division code", "\"\(code)\" 不是 6 位行政区划代码")
        }
        /// An interval shorter than a second.
        public static var atLeastOneSecond: Bilingual { Bilingual("must be at least 1 s", "不能小于 1 秒") }
        public static func notURL(_ url: String) -> Bilingual {
            Bilingual("\"\(url)\" is not an http:// or https:// URL", "\"\(url)\" 不是 http:// 或 https:// 地址")
        }
        public static var expectedHTTPURL: Bilingual { Bilingual("expected an http:// or https:// URL", "应为 http:// 或 https:// 地址") }
        public static var expectedHTTPSURL: Bilingual { Bilingual("expected an https:// URL", "应为 https:// 地址") }
        public static var missingCA: Bilingual { Bilingual("missing: at least one CA file", "缺失：至少需要一个 CA 文件") }
        public static var certificateAndKey: Bilingual {
            Bilingual("missing: certificate and key go together", "缺失：证书与私钥须同时给出")
        }
        /// A word that is not one of `choices`.
        public static func notOneOf(_ value: String, _ choices: [String]) -> Bilingual {
            Bilingual(
                "\"\(value)\" is not one of \(choices.joined(separator: ", "))", "\"\(value)\" 不是 \(choices.joined(separator: "、")) 之一")
        }
        public static var loopbackOnly: Bilingual {
            Bilingual("metrics are served on a loopback address only", "指标只能在回环地址上提供")
        }
        public static var requiredTimestampNeedsURL: Bilingual {
            Bilingual("a required timestamp needs url", "要求时间戳时必须给出 url")
        }
        public static var missingTSATrust: Bilingual {
            Bilingual("missing: the CA file of the TSA, to check tokens with", "缺失：用于检查时间戳令牌的 TSA CA 文件")
        }
        public static var peerIsSelf: Bilingual { Bilingual("a peer cannot be this authority itself", "对端不能是本所自身") }
        public static func peerTwice(_ code: String) -> Bilingual { Bilingual("peer \(code) is listed twice", "对端 \(code) 重复列出") }
        public static func notPin(_ text: String) -> Bilingual {
            Bilingual(
                "\"\(text)\" is not a base64 SHA-256 digest (44 characters)", "\"\(text)\" 不是 base64 编码的 SHA-256 摘要（44 个字符）")
        }
        /// A file a key names that cannot be read.
        public static func fileUnreadable(_ file: String, _ reason: String) -> Bilingual {
            Bilingual("\(file) cannot be read (\(reason))", "\(file) 无法读取（\(reason)）")
        }
        public static func notHTTPSURL(_ url: String) -> Bilingual {
            Bilingual("\"\(url)\" is not an https:// URL", "\"\(url)\" 不是 https:// 地址")
        }
        public static var listOrURL: Bilingual { Bilingual("missing: a list file or a url", "缺失：须给出名单文件 (list) 或 url") }
        public static var listAndURL: Bilingual { Bilingual("list and url exclude each other", "list 与 url 不能同时给出") }
        public static var missingDirectoryCA: Bilingual {
            Bilingual("missing: at least one CA file of the directory operator", "缺失：至少需要一个名录运营方的 CA 文件")
        }
        public static func expectedEndpoint(_ text: String) -> Bilingual {
            Bilingual("expected host:port, got \"\(text)\"", "应为 host:port，实际为 \"\(text)\"")
        }
    }
}
