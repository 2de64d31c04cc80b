import ArgumentParser
import Synchronization

/// How the mock TSA misbehaves: `none`; `down`, every query answered 503; `slow`, each answer
/// held back (`--slow-seconds`); `wrong-imprint`, tokens over another imprint than asked.
/// An untrusted TSA is the mock started with a certificate of another CA; a TSA that refuses
/// connections is one not running.
enum TSAFault: String, CaseIterable, ExpressibleByArgument, Sendable {
    case none
    case down
    case slow
    case wrongImprint = "wrong-imprint"
}

/// The fault in force, changed at run time through `PUT /fault`. Thread-safe.
final class CurrentFault: Sendable {
    private let fault: Mutex<TSAFault>

    init(_ fault: TSAFault) { self.fault = Mutex(fault) }

    var value: TSAFault {
        get { fault.withLock { $0 } }
        set { fault.withLock { $0 = newValue } }
    }
}
