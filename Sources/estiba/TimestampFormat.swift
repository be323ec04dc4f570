import Engine

extension Timestamp {
    /// RFC 3339 without the fraction, as `docker history -H=false` prints.
    var rfc3339Seconds: String { Timestamp(seconds: seconds).rfc3339 }
}
