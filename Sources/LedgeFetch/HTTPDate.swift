/// RFC 9110's HTTP-date, as a `Retry-After` may carry one: the preferred IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`) and the two obsolete forms recipients must also accept,
/// RFC 850's (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime's (`Sun Nov  6 08:49:37 1994`).
package enum HTTPDate {
    /// Seconds since 1970 (UTC) of `text`, or `nil` when it is none of the three forms.
    package static func seconds(_ text: String) -> Int64? {
        let fields = text.split(separator: " ").map(String.init)
        let day: Int64?
        let month: Int64?
        var year: Int64?
        let time: String
        switch fields.count {
        case 6 where fields[0].hasSuffix(",") && fields[5] == "GMT":  // IMF-fixdate
            (day, month, year, time) = (Int64(fields[1]), months[fields[2]], Int64(fields[3]), fields[4])
        case 4 where fields[0].hasSuffix(",") && fields[3] == "GMT":  // RFC 850
            let parts = fields[1].split(separator: "-").map(String.init)
            guard parts.count == 3, let short = Int64(parts[2]) else { return nil }
            (day, month, time) = (Int64(parts[0]), months[parts[1]], fields[2])
            year = short + (short < 70 ? 2000 : 1900)  // RFC 9110: a two-digit year more than 50 years ahead is in the past
        case 5 where !fields[0].hasSuffix(","):  // asctime
            (day, month, year, time) = (Int64(fields[2]), months[fields[1]], Int64(fields[4]), fields[3])
        default:
            return nil
        }
        let clock = time.split(separator: ":").map { Int64($0) }
        guard let day, let month, let year, (1...31).contains(day), (1970...9999).contains(year), clock.count == 3,
            let hour = clock[0], let minute = clock[1], let second = clock[2], (0..<24).contains(hour), (0..<60).contains(minute),
            (0...60).contains(second)
        else { return nil }
        return daysSince1970(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
    }

    private static let months: [String: Int64] = [
        "Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6, "Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12,
    ]

    /// Howard Hinnant's days_from_civil.
    private static func daysSince1970(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = y / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
