import Foundation

/// What one authenticated caller may hold of the peer server, and what connections that have
/// not (yet) authenticated may hold of it (docs/protocol.md). One peer, compromised or buggy, must
/// not be able to take the server from the others.
public struct CallerLimits: Sendable, Equatable {
    /// Uploads one caller may have in progress at once; more get 429 + `Retry-After`.
    public var uploadsPerCaller: Int
    /// Connections one caller may hold open at once; more are closed after their handshake.
    public var connectionsPerCaller: Int
    /// Connections in all, authenticated or not. At the cap a new connection is admitted by
    /// closing the oldest one still in its TLS handshake; when there is none it is refused.
    public var connections: Int
    /// Requests one caller may make a minute: a token bucket of this many tokens refilled
    /// evenly over a minute; an empty bucket gives 429 + `Retry-After`.
    public var requestsPerMinute: Int
    /// Seconds a new connection has to complete its TLS handshake before it is closed.
    public var handshakeTimeout: TimeInterval
    /// Archives of one caller's a minute that may be rejected (verified, found wanting and
    /// answered with a signed rejection, each an event in the custody log and a record in
    /// quarantine): a token bucket charged per rejection; while it is empty the caller's
    /// uploads get 429 `too-many-rejections` + `Retry-After` before any body is read. A peer
    /// pushing garbage thus costs this authority bounded verification, log and disk.
    public var rejectionsPerMinute: Int

    /// The given bounds.
    public init(
        uploadsPerCaller: Int, connectionsPerCaller: Int, connections: Int, requestsPerMinute: Int,
        handshakeTimeout: TimeInterval, rejectionsPerMinute: Int = 60
    ) {
        self.uploadsPerCaller = uploadsPerCaller
        self.connectionsPerCaller = connectionsPerCaller
        self.connections = connections
        self.requestsPerMinute = requestsPerMinute
        self.handshakeTimeout = handshakeTimeout
        self.rejectionsPerMinute = rejectionsPerMinute
    }

    /// 4 uploads and 32 connections a caller, 1,024 connections in all, 6,000 requests and 60
    /// rejected archives a minute, 10 s to finish a handshake.
    public static let `default` = CallerLimits(
        uploadsPerCaller: 4, connectionsPerCaller: 32, connections: 1024,
        requestsPerMinute: 6000, handshakeTimeout: 10)
}
