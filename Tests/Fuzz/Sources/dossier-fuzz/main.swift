import DossierFuzzing
import Glibc

// libFuzzer's driver, from the runtime `-sanitize=fuzzer` links in. Calling it from our own
// `main` (rather than linking libFuzzer's) keeps SwiftPM's executable entry point intact.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// Every input goes through the archive reader (tar, bag, manifests, signature, four-property
/// check) and the receipt parser. Any trap, leak or memory error is a finding. Exported under
/// libFuzzer's name too, which its runtime references.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    FuzzHarness.shared.run(UnsafeBufferPointer(start: data, count: size))
    return 0
}

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
