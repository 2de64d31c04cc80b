import DossierTestSupport
import Foundation
import Testing

/// README's first command: `dossierd --demo` (and `--demo --sm2`) runs three authorities whose
/// peers come from one signed directory only, delivers a dossier between two of them, and
/// stops them all cleanly, within a minute.
@Suite(.serialized) struct DemoTests {
    @Test(arguments: [false, true]) func theDemoRunsThreeAuthoritiesFromOneDirectory(sm2: Bool) throws {
        let started = Date()
        let result = try run(product("dossierd"), ["--demo"] + (sm2 ? ["--sm2"] : []), environment: environment(lang: "C"))
        let output = result.stdout
        #expect(result.status == 0, "\(result.stderr)\n\(output)")
        #expect(Date().timeIntervalSince(started) < 60)
        #expect(output.contains("signed directory serial 1, 3 authorities"), "\(output)")
        // Guangzhou's peers, printed by `dossierctl peers`: the other two, from the directory.
        let peers = output.components(separatedBy: "Guangzhou (440100)").last ?? ""
        let peerLines = peers.split(separator: "\n").prefix(3).filter { $0.contains("from the directory") }
        #expect(peerLines.count == 2, "\(output)")
        #expect(peerLines.contains { $0.contains("441800") } && peerLines.contains { $0.contains("430100") })
        #expect(!output.contains("from [[peers]]"))
        #expect(output.contains("delivered "))
        for code in ["441800", "430100", "440100"] { #expect(output.contains("\(code) exited with status 0"), "\(output)") }
        #expect(output.contains("demo complete"))
    }
}
