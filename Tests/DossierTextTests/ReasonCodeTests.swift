import DossierModel
import DossierText
import Foundation
import Testing

/// The single list of reason codes is complete (every code the sources emit is in it) and every
/// code in it has a Chinese title.
@Suite struct ReasonCodeTests {
    /// `Sources/`, found from this file.
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources")

    /// Every reason code written literally in the sources: findings, problems, peer protocol
    /// errors, the record validator's codes, delivery outcome labels, and the transfer rules.
    static func emittedCodes() throws -> Set<String> {
        let patterns: [Regex<(Substring, Substring)>] = [
            #/Finding\(\s*\.[a-z]+,\s*"([a-z0-9-]+)"/#,
            #/PeerHTTPError\(\s*\.[A-Za-z]+,\s*"([a-z0-9-]+)"/#,
            #/Problem\(\s*code:\s*"([a-z0-9-]+)"/#,
            #/\badd\(\s*"([a-z0-9-]+)"/#,
        ]
        var codes = Set(EligibilityRule.allCases.map(\.rawValue))
        let walker = FileManager.default.enumerator(atPath: sources.path)
        while let name = walker?.nextObject() as? String {
            guard name.hasSuffix(".swift"), !name.hasPrefix("DossierText/") else { continue }
            let text = try String(contentsOf: sources.appendingPathComponent(name), encoding: .utf8)
            for pattern in patterns {
                for match in text.matches(of: pattern) { codes.insert(String(match.output.1)) }
            }
            if name.hasSuffix("DeliveryOutcome.swift"), let labels = text.firstRange(of: "var metricLabel") {
                for match in text[labels.lowerBound...].matches(of: #/: "([a-z-]+)"\n/#) { codes.insert(String(match.output.1)) }
            }
        }
        return codes
    }

    @Test func everyEmittedCodeIsInTheList() throws {
        let emitted = try Self.emittedCodes()
        #expect(emitted.count > 100, "the source scan found only \(emitted.sorted())")
        let listed = Set(ReasonCode.all.map(\.code))
        #expect(emitted.subtracting(listed).isEmpty, "codes missing from ReasonCode.all: \(emitted.subtracting(listed).sorted())")
    }

    @Test func everyListedCodeHasAChineseTitle() {
        for entry in ReasonCode.all {
            let zh = ReasonCode.title(entry.code, in: .zh)
            #expect(zh != entry.code && zh.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) }, "\(entry.code): \(zh)")
            #expect(ReasonCode.title(entry.code, in: .en) == entry.title.en && !entry.title.en.isEmpty)
        }
        #expect(ReasonCode.title("http-503", in: .zh) == "对端应答HTTP 503")
        #expect(ReasonCode.title("no-such-code", in: .zh) == "no-such-code")
    }

    @Test func eachCodeIsListedOnce() {
        let codes = ReasonCode.all.map(\.code)
        #expect(Set(codes).count == codes.count, "\(Dictionary(grouping: codes, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted())")
    }

    @Test func theModelsTitlesAreTheModelsOwn() {
        for code in ["empty-document", "encrypted-pdf", "missing-record"] {
            #expect(ReasonCode.title(code, in: .zh) == Finding.titleZh(code))
        }
    }
}

/// The daemon's English error lines, as `dossierctl` shows them to a Chinese operator.
@Suite struct ErrorLineTests {
    @Test func knownPhrasesAndReasonCodesAreTranslatedTheDetailKept() {
        #expect(
            CtlText.errorLine("rejected by the peer: digest-mismatch: documents/a.pdf; signature-invalid: bad", in: .zh)
                == "被转入地拒收：digest-mismatch（摘要值不符，内容已被改动）：documents/a.pdf；signature-invalid（签名验证未通过）：bad")
        #expect(CtlText.errorLine("network: Couldn't connect to server", in: .zh) == "网络故障：Couldn't connect to server")
        #expect(
            CtlText.errorLine("refused (HTTP 403): unknown-peer: authority 441800", in: .zh)
                == "被对端拒绝（HTTP 403）：unknown-peer（不是已配置的对端）：authority 441800")
        #expect(CtlText.errorLine("pull: timeout", in: .zh) == "拉取：超时")
        #expect(
            CtlText.errorLine("intake bad: no peer 999999 in the configuration", in: .zh)
                == "intake 目录 bad 被拒绝：no peer 999999 in the configuration")
        #expect(CtlText.errorLine("something else: entirely", in: .zh) == "something else: entirely")
        #expect(CtlText.errorLine("network: x", in: .en) == "network: x")
    }
}

/// ArgumentParser's own phrases around our help texts.
@Suite struct ArgumentParserTextTests {
    @Test func headingsDefaultsAndUsageErrors() {
        let help = """
            OVERVIEW: 守护进程状态。

            USAGE: dossierctl status [--socket <socket>]

            OPTIONS:
              --socket <socket>       守护进程的管理套接字。 (default:
                                      /run/dossierd/admin.sock)
              -h, --help              Show help information.
            """
        #expect(
            ArgumentParserText.translate(help, in: .zh) == """
                概述：守护进程状态。

                用法：dossierctl status [--socket <socket>]

                选项：
                  --socket <socket>       守护进程的管理套接字。 （默认：/run/dossierd/admin.sock）
                  -h, --help              显示帮助信息。
                """)
        #expect(ArgumentParserText.translate(help, in: .en) == help)
        #expect(
            ArgumentParserText.translate("Error: Unknown option '--x'\n  See 'dossierctl --help' for more information.", in: .zh)
                == "错误：未知选项 '--x'\n  详见 'dossierctl --help'。")
    }
}

/// The language follows the POSIX precedence of the messages locale.
@Suite struct LanguageTests {
    @Test func lcAllThenLcMessagesThenLang() {
        #expect(Language(environment: ["LANG": "zh_CN.UTF-8"]) == .zh)
        #expect(Language(environment: ["LANG": "C.UTF-8"]) == .en)
        #expect(Language(environment: [:]) == .en)
        #expect(Language(environment: ["LC_ALL": "C", "LANG": "zh_CN.UTF-8"]) == .en)
        #expect(Language(environment: ["LC_MESSAGES": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"]) == .zh)
        #expect(Language(environment: ["LC_ALL": "zh_CN.UTF-8", "LC_MESSAGES": "C"]) == .zh)
        // Set but empty counts as unset.
        #expect(Language(environment: ["LC_ALL": "", "LC_MESSAGES": "", "LANG": "zh_CN.UTF-8"]) == .zh)
    }

    @Test func bilingualTextsPutTheChosenLanguageFirst() {
        let text = Bilingual("refused", "拒绝")
        #expect(text.text(in: .zh) == "拒绝" && text.text(in: .en) == "refused")
        #expect(text.both(first: .zh) == "拒绝\nrefused" && text.both(first: .en) == "refused\n拒绝")
    }
}
